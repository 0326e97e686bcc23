package hapibulk.job;

import hapibulk.job.BulkManifest.ManifestFile;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The files a job has finished while it still runs ({@code BULK_JOB_FILE}), for jobs whose client
 * allowed partial manifests, and the manifest page each was first handed out on. A page, once
 * handed out, never changes: later files go to the next page, which the earlier one links to.
 */
public class BulkJobFiles {

	static final String TABLE = "BULK_JOB_FILE";

	/** Which manifest array a file belongs to. */
	public enum Kind { OUTPUT, DELETED, ERROR }

	/**
	 * One manifest page.
	 *
	 * @param hasNext whether another page follows (always while the job runs; not after its last page)
	 */
	public record Page(List<ManifestFile> output, List<ManifestFile> deleted, List<ManifestFile> error,
			boolean hasNext) {

		public boolean isEmpty() {
			return output.isEmpty() && deleted.isEmpty() && error.isEmpty();
		}
	}

	private final JdbcTemplate jdbc;

	public BulkJobFiles(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	/**
	 * Records a finished file. Called in the transaction of the chunk that finished it, so a chunk
	 * redone after a crash records it again; a second record of the same file is ignored.
	 */
	public void register(String jobId, Kind kind, ManifestFile file) {
		Integer known = jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE + " WHERE JOB_ID = ? AND FILE_NAME = ?",
				Integer.class, jobId, file.file());
		if (known != null && known > 0) {
			return;
		}
		jdbc.update("INSERT INTO " + TABLE + " (JOB_ID, FILE_NAME, KIND, RES_TYPE, LINE_COUNT, BYTE_COUNT, SHA256,"
						+ " CONTINUES_IN, SEQ) VALUES (?,?,?,?,?,?,?,?,?)", jobId, file.file(), kind.name(), file.type(),
				file.count(), file.bytes(), file.sha256(), file.continuesIn(), System.currentTimeMillis());
	}

	/**
	 * Manifest page {@code page} (from 1): the files first handed out on it, or, when it is the next
	 * page not handed out yet, every finished file not yet on a page. Empty when the page is beyond
	 * the next one, or after the last.
	 *
	 * @param jobFinished whether the job has finished all its files: the page that takes the last of
	 *                    them is the last page
	 */
	public Optional<Page> page(String jobId, int page, boolean jobFinished) {
		List<Row> rows = rows(jobId, page);
		if (rows.isEmpty()) {
			List<Row> previous = page > 1 ? rows(jobId, page - 1) : List.of();
			if (page < 1 || (page > 1 && (previous.isEmpty() || previous.get(0).finalPage()))) {
				return Optional.empty();
			}
			jdbc.update("UPDATE " + TABLE + " SET PAGE = ?, FINAL_PAGE = ? WHERE JOB_ID = ? AND PAGE IS NULL", page,
					jobFinished, jobId);
			rows = rows(jobId, page);
		}
		boolean last = rows.isEmpty() ? jobFinished : rows.get(0).finalPage();
		List<ManifestFile> output = new ArrayList<>();
		List<ManifestFile> deleted = new ArrayList<>();
		List<ManifestFile> error = new ArrayList<>();
		for (Row row : rows) {
			(switch (row.kind()) {
				case OUTPUT -> output;
				case DELETED -> deleted;
				case ERROR -> error;
			}).add(row.file());
		}
		return Optional.of(new Page(output, deleted, error, !last));
	}

	/** Whether the file was handed out on a manifest page, which makes it downloadable while the job runs. */
	public boolean isHandedOut(String jobId, String fileName) {
		return handedOut(jobId, fileName).isPresent();
	}

	/** The manifest array and resource type of a file handed out on a manifest page. */
	public Optional<ListedFile> handedOut(String jobId, String fileName) {
		return jdbc.query("SELECT KIND, RES_TYPE, SHA256 FROM " + TABLE + " WHERE JOB_ID = ? AND FILE_NAME = ? AND PAGE IS NOT"
				+ " NULL", (rs, i) -> new ListedFile(Kind.valueOf(rs.getString(1)), rs.getString(2),
						rs.getString(3)), jobId, fileName)
				.stream().findFirst();
	}

	public void forget(String jobId) {
		jdbc.update("DELETE FROM " + TABLE + " WHERE JOB_ID = ?", jobId);
	}

	private List<Row> rows(String jobId, int page) {
		return jdbc.query("SELECT KIND, RES_TYPE, FILE_NAME, LINE_COUNT, BYTE_COUNT, SHA256, CONTINUES_IN, FINAL_PAGE FROM "
				+ TABLE + " WHERE JOB_ID = ? AND PAGE = ? ORDER BY SEQ, FILE_NAME", (rs, i) -> new Row(
				Kind.valueOf(rs.getString(1)),
				new ManifestFile(rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5), rs.getString(6),
						rs.getString(7), null),
				rs.getBoolean(8)), jobId, page);
	}

	private record Row(Kind kind, ManifestFile file, boolean finalPage) {}
}
