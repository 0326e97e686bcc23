package hapibulk.export.job;

import java.util.Date;
import java.util.List;

/**
 * The current version of one resource as HAPI stores it.
 *
 * @param body      HAPI's stored JSON (no {@code id}, no stored {@code meta} fields), or, when
 *                  {@code complete} is true, the whole resource as HAPI's parser encoded it
 * @param complete  whether {@code body} already carries id and meta
 */
public record StoredResource(long pid, String type, String fhirId, long version, Date updated, String source,
		List<StoredTag> tags, String body, boolean complete) {

	/**
	 * A row of HAPI's tag definitions attached to the resource.
	 *
	 * @param kind 0 = tag, 1 = profile, 2 = security label (HAPI's {@code TagTypeEnum} ordinals)
	 */
	public record StoredTag(int kind, String system, String code, String display, String version,
			Boolean userSelected) {

		static final int TAG = 0;
		static final int PROFILE = 1;
		static final int SECURITY = 2;
	}
}
