package hapibulk.job;

/**
 * How a job's status URL answers, as the kick-off asked.
 *
 * @param separateStatus    {@code Prefer: separate-export-status}: a status request answers 200 and gives
 *                          the job's own status in {@code X-Export-Status}
 * @param partialManifests  {@code allowPartialManifests}: while the job runs, the status URL may answer
 *                          with a manifest of the files finished so far, paged with {@code link}
 * @param outputOrganizedBy the type whose blocks organise the output files, or null
 */
public record StatusOptions(boolean separateStatus, boolean partialManifests, String outputOrganizedBy) {

	public static final StatusOptions DEFAULT = new StatusOptions(false, false, null);
}
