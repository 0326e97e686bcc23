package hapibulk.export;

import hapibulk.support.BulkErrors;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * {@code hapi.bulk.export.*}.
 *
 * @param pageSize            resources read and written per chunk (one transaction)
 * @param pageBytes           a chunk also ends once this much stored JSON was read
 * @param maxResourcesPerFile a type's output is split into several files beyond this count
 * @param maxFileBytes        a type's output is also split into several files beyond this size
 * @param maxRunningExports   exports queued or running at once; a kick-off beyond gets 429
 * @param includeReferencedResources whether Patient and Group exports also hold the resources outside
 *                            the Patient compartment (Practitioner, Organization, ...) that the
 *                            exported patients and their compartment resources reference
 * @param maxTypeFilterLength the longest _typeFilter value a kick-off may send (characters);
 *                            longer ones get 400 before a job is made (HAPI's search would fail later)
 * @param createTypeIndex     whether to create the index on HFJ_RESOURCE (RES_TYPE, RES_ID) at
 *                            start-up (see TypeKeyIndex)
 * @param writeSettleTime     an export reads nothing before this long after its transactionTime: HAPI
 *                            stamps lastUpdated this much at most before its transaction's first statement
 * @param writeWaitLimit      how long an export waits at most for database transactions open at its start
 *                            (writes stamped before its transactionTime) to end before it reads anyway
 * @param partitionSize       a type with more resources to export is cut into ranges of keys (RES_ID) of about
 *                            this many resources, one partition each, so that several workers share it
 */
public record ExportSettings(
		@DefaultValue("5000") int pageSize,
		@DefaultValue("16MB") DataSize pageBytes,
		@DefaultValue("100000") int maxResourcesPerFile,
		@DefaultValue("1GB") DataSize maxFileBytes,
		@DefaultValue("4") int maxRunningExports,
		@DefaultValue("true") boolean includeReferencedResources,
		@DefaultValue("false") boolean createTypeIndex,
		@DefaultValue("1000") int maxTypeFilterLength,
		@DefaultValue("500ms") Duration writeSettleTime,
		@DefaultValue("10m") Duration writeWaitLimit,
		@DefaultValue("1000000") long partitionSize) {

	/** The property prefix these settings are bound under. */
	public static final String PREFIX = "hapi.bulk.export";

	public ExportSettings {
		if (partitionSize < 1) {
			throw new IllegalArgumentException(BulkErrors.code(704) + "hapi.bulk.export.partition-size must be at least 1");
		}
	}
}
