package hapibulk.storage.s3;

import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.JobFolder;
import hapibulk.storage.StoredNames;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Bulk files in an S3 bucket. Objects cannot be appended to, so a part file is a chain of segment
 * objects {@code <prefix><job folder>/<fileName>/<start offset, 20 digits>} (the job folder is {@code <jobId>}, or
 * {@code tenants/<tenant folder>/<jobId>} for a job of a tenant: {@link JobFolder}), one (or more, beyond the
 * segment size) per chunk, each written before the chunk's transaction commits. The committed
 * length the writer keeps in its execution context names the end of the chain: on restart, every
 * segment at or past it is deleted (a chunk that never committed wrote it), and the redone chunk
 * writes its segment under the same start offset. Readers get the chain joined, streamed one
 * segment at a time.
 */
public class S3FileStore implements BulkFileStore, AutoCloseable {

	private static final int DELETE_BATCH = 1000;
	private static final String OFFSET_FORMAT = "%020d";
	/** Buffers kept for the next chunks: one per worker thread on the machines we run on. */
	private static final int BUFFERS_KEPT = Math.max(2, Runtime.getRuntime().availableProcessors());

	private final S3Client s3;
	private final String bucket;
	private final String prefix;
	private final Consumer<PutObjectRequest.Builder> encryption;
	private final int segmentBytes;
	/**
	 * The length each part file had when this store last committed it, kept while nothing else may have been
	 * stored beyond it: the next chunk of the same writer then needs no listing of the file's segments.
	 */
	private final Map<String, Long> committedHere = new ConcurrentHashMap<>();
	private final SegmentBuffers buffers = new SegmentBuffers(BUFFERS_KEPT);

	public S3FileStore(S3Client s3, S3Settings settings) {
		this.s3 = s3;
		this.bucket = settings.bucket();
		this.prefix = settings.prefix().isEmpty() || settings.prefix().endsWith("/") ? settings.prefix()
				: settings.prefix() + "/";
		this.encryption = S3Clients.encryption(settings);
		this.segmentBytes = (int) Math.min(Integer.MAX_VALUE - 16, Math.max(1, settings.segmentSize().toBytes()));
	}

	@Override
	public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException {
		String filePrefix = filePrefix(job, StoredNames.requireSafe(fileName));
		Long lastCommitted = committedHere.remove(filePrefix);
		if (lastCommitted != null && lastCommitted == committedLength) {
			// This store committed the file to exactly that length and stored nothing after: nothing to cut back.
			return new SegmentAppender(filePrefix, committedLength);
		}
		try {
			delete(segments(filePrefix).beyond(committedLength).stream().map(SegmentChain.Segment::key).toList());
		} catch (SdkException e) {
			throw new IOException("Cannot open part file " + filePrefix + " in bucket " + bucket + ": "
					+ e.getMessage(), e);
		}
		return new SegmentAppender(filePrefix, committedLength);
	}

	@Override
	public Optional<StoredFile> find(JobFolder job, String fileName) {
		if (job == null || !StoredNames.isSafe(fileName)) {
			return Optional.empty();
		}
		SegmentChain segments = segments(filePrefix(job, fileName));
		if (segments.isEmpty()) {
			return Optional.empty();
		}
		List<SegmentChain.Segment> chain = segments.chain();
		long length = segments.length();
		return Optional.of(new StoredFile() {
			@Override
			public long length() {
				return length;
			}

			@Override
			public InputStream open() {
				return new SequenceInputStream(opening(chain.iterator()));
			}
		});
	}

	@Override
	public void deleteAll(JobFolder job) throws IOException {
		String jobPrefix = jobPrefix(job);
		committedHere.keySet().removeIf(filePrefix -> filePrefix.startsWith(jobPrefix));
		try {
			// Keys ending in "/" are folder markers some S3-compatible servers list (s3proxy's filesystem back end
			// times out deleting them); we never write one.
			delete(objects(jobPrefix).stream().map(S3Object::key).filter(key -> !key.endsWith("/")).toList());
		} catch (SdkException e) {
			throw new IOException("Cannot delete the files of " + job + " in bucket " + bucket + ": "
					+ e.getMessage(), e);
		}
	}

	@Override
	public long bytesHeld(JobFolder job) throws IOException {
		try {
			return objects(jobPrefix(job)).stream().mapToLong(S3Object::size).sum();
		} catch (SdkException e) {
			throw new IOException("Cannot list the files of " + job + " in bucket " + bucket + ": "
					+ e.getMessage(), e);
		}
	}

	/** Closes the client (its connections); Spring calls it when the context closes. */
	@Override
	public void close() {
		s3.close();
	}

	private String jobPrefix(JobFolder job) {
		return prefix + job.path() + "/";
	}

	private String filePrefix(JobFolder job, String fileName) {
		return jobPrefix(job) + fileName + "/";
	}

	private SegmentChain segments(String filePrefix) {
		List<SegmentChain.Segment> segments = new ArrayList<>();
		for (S3Object object : objects(filePrefix)) {
			String offset = object.key().substring(filePrefix.length());
			if (offset.length() == 20 && offset.chars().allMatch(Character::isDigit)) {
				segments.add(new SegmentChain.Segment(object.key(), Long.parseLong(offset), object.size()));
			}
		}
		return new SegmentChain(segments);
	}

	/** The objects under a prefix, in key order (S3 lists keys sorted), all pages. */
	private List<S3Object> objects(String keyPrefix) {
		List<S3Object> objects = new ArrayList<>();
		s3.listObjectsV2Paginator(request -> request.bucket(bucket).prefix(keyPrefix)).contents().forEach(objects::add);
		return objects;
	}

	private void delete(List<String> keys) throws IOException {
		for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
			List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH)).stream()
					.map(key -> ObjectIdentifier.builder().key(key).build()).toList();
			// Quiet: the answer lists only the keys that could not be deleted.
			List<S3Error> errors = s3.deleteObjects(request -> request.bucket(bucket)
					.delete(Delete.builder().objects(batch).quiet(true).build())).errors();
			if (!errors.isEmpty()) {
				throw new IOException(errors.size() + " objects could not be deleted, the first " + errors.get(0).key()
						+ ": " + errors.get(0).code() + " " + errors.get(0).message());
			}
		}
	}

	/** Opens each segment only when the reader reaches it, so a download holds one response at a time. */
	private Enumeration<InputStream> opening(Iterator<SegmentChain.Segment> segments) {
		return new Enumeration<>() {
			@Override
			public boolean hasMoreElements() {
				return segments.hasNext();
			}

			@Override
			public InputStream nextElement() {
				String key = segments.next().key();
				try {
					return s3.getObject(request -> request.bucket(bucket).key(key));
				} catch (SdkException e) {
					throw new UncheckedIOException(new IOException("Cannot read " + key + " in bucket " + bucket + ": "
							+ e.getMessage(), e));
				}
			}
		};
	}

	/** Buffers appended bytes and stores them as a segment at each commit, or whenever a segment is full. */
	private final class SegmentAppender implements BulkFileAppender {
		private final String filePrefix;
		private byte[] segment = buffers.take();
		private int buffered;
		/** Where the buffered bytes start in the part file. */
		private long position;
		private boolean stored;

		private SegmentAppender(String filePrefix, long committedLength) {
			this.filePrefix = filePrefix;
			this.position = committedLength;
		}

		@Override
		public void append(byte[] bytes, int offset, int length) throws IOException {
			while (length > 0) {
				if (buffered == segmentBytes) {
					store();
				}
				ensureRoom(Math.min(segmentBytes, buffered + length));
				int taken = Math.min(length, segmentBytes - buffered);
				System.arraycopy(bytes, offset, segment, buffered, taken);
				buffered += taken;
				offset += taken;
				length -= taken;
			}
		}

		@Override
		public long commit() throws IOException {
			// An empty file that is committed still exists, as a local one would.
			if (buffered > 0 || (position == 0 && !stored)) {
				store();
			}
			committedHere.put(filePrefix, position);
			return position;
		}

		@Override
		public void close() {
			buffered = 0;
			buffers.giveBack(segment);
			segment = SegmentBuffers.NONE;
		}

		private void ensureRoom(int needed) {
			if (segment.length < needed) {
				byte[] larger = new byte[(int) Math.min(segmentBytes, Math.max(needed, 2L * segment.length))];
				System.arraycopy(segment, 0, larger, 0, buffered);
				segment = larger;
			}
		}

		private void store() throws IOException {
			// until this commit succeeds, a segment may lie past the length last committed here
			committedHere.remove(filePrefix);
			String key = filePrefix + String.format(OFFSET_FORMAT, position);
			byte[] bytes = segment;
			int length = buffered;
			PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(bucket).key(key)
					.contentLength((long) length).contentType("application/octet-stream");
			encryption.accept(request);
			try {
				s3.putObject(request.build(),
						RequestBody.fromContentProvider(() -> new ByteArrayInputStream(bytes, 0, length), length,
								"application/octet-stream"));
			} catch (SdkException e) {
				throw new IOException("Cannot store " + key + " in bucket " + bucket + ": " + e.getMessage(), e);
			}
			position += length;
			buffered = 0;
			stored = true;
		}
	}
}
