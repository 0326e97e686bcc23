package hapibulk.submit;

import hapibulk.support.Sha256;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The submissions this server was told of: one row per (submitter, submissionId) with its status and the client
 * that made it, and one row per manifest with the import job that loads it. What the import jobs did is read from
 * the job table; this table only ties them to their submission. A third table holds the claims that let one of
 * several concurrent submissions of a manifest load it.
 */
public class SubmissionTable {

	static final String TABLE = "BULK_SUBMISSION";
	static final String MANIFESTS = "BULK_SUBMISSION_MANIFEST";
	static final String CLAIMS = "BULK_SUBMISSION_CLAIM";
	/** A claim this old was left by a request that died between claiming and recording its job: it is taken over. */
	static final Duration STALE_CLAIM = Duration.ofMinutes(10);

	/** A submission. @param owner the client that made it (null when authorization is off) */
	public record Submission(String submitter, String submissionId, String status, String owner) {}

	/** A manifest of a submission and the import job loading it. */
	public record Manifest(String manifestUrl, String jobId) {}

	private final JdbcTemplate jdbc;
	private final Clock clock;

	public SubmissionTable(JdbcTemplate jdbc, Clock clock) {
		this.jdbc = jdbc;
		this.clock = clock;
		jdbc.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (SUBMITTER VARCHAR(1024) NOT NULL,"
				+ " SUBMISSION_ID VARCHAR(256) NOT NULL, STATUS VARCHAR(16) NOT NULL, OWNER VARCHAR(256),"
				+ " CREATED_AT BIGINT NOT NULL, PRIMARY KEY (SUBMITTER, SUBMISSION_ID))");
		jdbc.execute("CREATE TABLE IF NOT EXISTS " + MANIFESTS + " (SUBMITTER VARCHAR(1024) NOT NULL,"
				+ " SUBMISSION_ID VARCHAR(256) NOT NULL, JOB_ID VARCHAR(64) NOT NULL, MANIFEST_URL VARCHAR(4000) NOT NULL,"
				+ " CREATED_AT BIGINT NOT NULL, PRIMARY KEY (SUBMITTER, SUBMISSION_ID, JOB_ID))");
		jdbc.execute("CREATE TABLE IF NOT EXISTS " + CLAIMS + " (SUBMITTER VARCHAR(1024) NOT NULL,"
				+ " SUBMISSION_ID VARCHAR(256) NOT NULL, CLAIM CHAR(64) NOT NULL, CLAIMED_AT BIGINT NOT NULL,"
				+ " PRIMARY KEY (SUBMITTER, SUBMISSION_ID, CLAIM))");
	}

	public Optional<Submission> find(String submitter, String submissionId) {
		return jdbc.query("SELECT SUBMITTER, SUBMISSION_ID, STATUS, OWNER FROM " + TABLE
						+ " WHERE SUBMITTER = ? AND SUBMISSION_ID = ?",
				(rs, row) -> new Submission(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)),
				submitter, submissionId).stream().findFirst();
	}

	/** The submission, made now with {@code status} if it is new. */
	public Submission findOrCreate(String submitter, String submissionId, String status, String owner) {
		Optional<Submission> found = find(submitter, submissionId);
		if (found.isPresent()) {
			return found.get();
		}
		try {
			jdbc.update("INSERT INTO " + TABLE + " (SUBMITTER, SUBMISSION_ID, STATUS, OWNER, CREATED_AT) VALUES (?, ?, ?, ?, ?)",
					submitter, submissionId, status, owner, clock.millis());
		} catch (DuplicateKeyException e) {
			// made by a concurrent request: that one is the submission
		}
		return find(submitter, submissionId).orElseThrow();
	}

	public void setStatus(String submitter, String submissionId, String status) {
		jdbc.update("UPDATE " + TABLE + " SET STATUS = ? WHERE SUBMITTER = ? AND SUBMISSION_ID = ?", status, submitter,
				submissionId);
	}

	/** The submission's manifests, in the order they were submitted. */
	public List<Manifest> manifests(String submitter, String submissionId) {
		return jdbc.query("SELECT MANIFEST_URL, JOB_ID FROM " + MANIFESTS + " WHERE SUBMITTER = ? AND SUBMISSION_ID = ?"
						+ " ORDER BY CREATED_AT, JOB_ID", (rs, row) -> new Manifest(rs.getString(1), rs.getString(2)),
				submitter, submissionId);
	}

	/**
	 * Claims the loading of a manifest of a submission, once per attempt: its first load ({@code afterJobId} null) or
	 * the load after the import job {@code afterJobId} gave up. Of concurrent requests to load it, one gets the claim
	 * (the primary key decides, on every node).
	 *
	 * @return whether this call holds the claim and may load the manifest
	 */
	public boolean claim(String submitter, String submissionId, String manifestUrl, String afterJobId) {
		String claim = claimKey(manifestUrl, afterJobId);
		jdbc.update("DELETE FROM " + CLAIMS + " WHERE SUBMITTER = ? AND SUBMISSION_ID = ? AND CLAIM = ?"
				+ " AND CLAIMED_AT < ?", submitter, submissionId, claim, clock.millis() - STALE_CLAIM.toMillis());
		try {
			jdbc.update("INSERT INTO " + CLAIMS + " (SUBMITTER, SUBMISSION_ID, CLAIM, CLAIMED_AT) VALUES (?, ?, ?, ?)",
					submitter, submissionId, claim, clock.millis());
			return true;
		} catch (DuplicateKeyException e) {
			return false;
		}
	}

	/** Gives a claim back: its request loaded nothing (the manifest could not be read, or listed no files). */
	public void release(String submitter, String submissionId, String manifestUrl, String afterJobId) {
		jdbc.update("DELETE FROM " + CLAIMS + " WHERE SUBMITTER = ? AND SUBMISSION_ID = ? AND CLAIM = ?", submitter,
				submissionId, claimKey(manifestUrl, afterJobId));
	}

	/** The manifest URL and the attempt, hashed: a key of fixed width for a URL of up to 4,000 characters. */
	private static String claimKey(String manifestUrl, String afterJobId) {
		return Sha256.hex(manifestUrl + "\n" + (afterJobId == null ? "" : afterJobId));
	}

	public void addManifest(String submitter, String submissionId, String manifestUrl, String jobId) {
		jdbc.update("INSERT INTO " + MANIFESTS + " (SUBMITTER, SUBMISSION_ID, JOB_ID, MANIFEST_URL, CREATED_AT)"
				+ " VALUES (?, ?, ?, ?, ?)", submitter, submissionId, jobId, manifestUrl, clock.millis());
	}
}
