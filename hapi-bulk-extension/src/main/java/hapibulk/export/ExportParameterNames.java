package hapibulk.export;

import java.util.List;

/**
 * The names of the {@code $export} kick-off parameters, each written once (as HAPI's {@code JpaConstants}
 * does for its own). Plain {@code static final String}s because HAPI's {@code @OperationParam} needs
 * compile-time constants. A new parameter: a constant here, in {@link #ALL} (and {@link #SINGLE_VALUED}
 * if it takes one value), its {@code @OperationParam} in {@link BulkExportProvider}, and the code that uses it.
 */
public final class ExportParameterNames {

	public static final String OUTPUT_FORMAT = "_outputFormat";
	public static final String TYPE = "_type";
	public static final String SINCE = "_since";
	public static final String UNTIL = "_until";
	public static final String PATIENT = "patient";
	public static final String ELEMENTS = "_elements";
	public static final String TYPE_FILTER = "_typeFilter";
	public static final String INCLUDE_ASSOCIATED_DATA = "includeAssociatedData";
	public static final String ORGANIZE_OUTPUT_BY = "organizeOutputBy";
	public static final String ALLOW_PARTIAL_MANIFESTS = "allowPartialManifests";
	/** A de-identification profile's name (Microsoft's FHIR server names the parameter so). */
	public static final String ANONYMIZATION_CONFIG = "_anonymizationConfig";

	/** Every kick-off parameter the server knows; any other is refused (lenient: ignored). */
	public static final List<String> ALL = List.of(OUTPUT_FORMAT, TYPE, SINCE, UNTIL, PATIENT, ELEMENTS, TYPE_FILTER,
			INCLUDE_ASSOCIATED_DATA, ORGANIZE_OUTPUT_BY, ALLOW_PARTIAL_MANIFESTS, ANONYMIZATION_CONFIG);

	/** Parameters with one value ({@code max = 1}); a second is refused rather than silently dropped. */
	public static final List<String> SINGLE_VALUED = List.of(OUTPUT_FORMAT, SINCE, UNTIL, ORGANIZE_OUTPUT_BY,
			ALLOW_PARTIAL_MANIFESTS, ANONYMIZATION_CONFIG);

	private ExportParameterNames() {
	}
}
