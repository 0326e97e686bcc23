package hapibulk.storage;

import hapibulk.support.Sha256;
import hapibulk.tenant.Tenant;

import java.util.regex.Pattern;

/**
 * Where the files of one job live in a store, relative to its root (the file directory, the S3 prefix):
 * {@code <jobId>} for a job without a tenant (an unpartitioned host, rows from before tenants), and
 * {@code tenants/<tenant folder>/<jobId>} for a job of a tenant, so that an operator can give each tenant its own
 * prefix (bucket policies, lifecycle rules, deleting a customer). It is made from the tenant recorded in the job's
 * request, never from the request that asks for a file: every writer, reader and sweep of a job finds one place.
 *
 * @param jobId  the job's id (safe, see {@link StoredNames})
 * @param tenant the tenant's folder ({@link #folderOf}), or null for a job without a tenant
 */
public record JobFolder(String jobId, String tenant) {

	/** The folder under the store's root that holds every tenant's folder. */
	public static final String TENANTS = "tenants";
	/** The folder of jobs that read every partition (an operator's). */
	public static final String ALL_PARTITIONS = "_all";
	/** The folder of jobs of several partitions: their files belong to no single tenant's folder. */
	public static final String SEVERAL_PARTITIONS = "_several";

	/** Our own folders and encoded names start with "_", which no name used as it is may. */
	private static final Pattern OWN_FOLDER = Pattern.compile("_[a-z0-9]{1,64}");

	public JobFolder {
		StoredNames.requireSafe(jobId);
		if (tenant != null && !StoredNames.isSafe(tenant) && !OWN_FOLDER.matcher(tenant).matches()) {
			throw new IllegalArgumentException("Not a safe tenant folder: " + tenant);
		}
	}

	/** A job without a tenant: today's layout. */
	public static JobFolder of(String jobId) {
		return new JobFolder(jobId, null);
	}

	/** A job of this tenant (null: none). */
	public static JobFolder of(String jobId, Tenant tenant) {
		return new JobFolder(jobId, tenant == null ? null : folderOf(tenant));
	}

	/**
	 * A tenant's folder: its partition name when that is a safe file name and key segment ({@link StoredNames}:
	 * letters, digits, {@code . _ -}, starting with a letter or digit, no {@code ..}, at most 128 characters);
	 * otherwise {@code _} and the hex SHA-256 of the name's UTF-8 bytes (HAPI's names are free text); {@code _all}
	 * for every partition and {@code _several} for a job of several partitions. No two differ only in being encoded.
	 */
	public static String folderOf(Tenant tenant) {
		if (tenant.allPartitions()) {
			return ALL_PARTITIONS;
		}
		if (tenant.names().size() > 1 || (tenant.names().isEmpty() && tenant.ids().size() > 1)) {
			return SEVERAL_PARTITIONS;
		}
		String name = tenant.key();
		return StoredNames.isSafe(name) ? name : "_" + Sha256.hex(name);
	}

	/** The job's folder relative to the store's root, segments separated by {@code /}. */
	public String path() {
		return tenant == null ? jobId : TENANTS + "/" + tenant + "/" + jobId;
	}

	@Override
	public String toString() {
		return tenant == null ? "job " + jobId : "job " + jobId + " (tenant folder " + tenant + ")";
	}
}
