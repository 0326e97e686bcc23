package hapibulk.imports;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.testsupport.SourceServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.springframework.util.unit.DataSize;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class ImportSourcesTest {

	@TempDir
	Path temp;

	private ImportSources sources(List<String> allowed, Path directory) {
		return new ImportSources(ImportSettings.of(allowed, directory));
	}

	@Test
	void httpSources_areAllowedOnlyUnderAListedPrefix_endingAtABoundary() {
		ImportSources sources = sources(List.of("https://data.example.org", "http://10.0.0.5/exports/"), null);

		assertThatCode(() -> sources.checkAllowed("https://data.example.org/a/Patient.ndjson")).doesNotThrowAnyException();
		assertThatCode(() -> sources.checkAllowed("http://10.0.0.5/exports/x.ndjson")).doesNotThrowAnyException();
		assertThatThrownBy(() -> sources.checkAllowed("https://data.example.org.evil.com/x.ndjson"))
				.isInstanceOf(ForbiddenOperationException.class).hasMessageContaining("BULK-0217");
		assertThatThrownBy(() -> sources.checkAllowed("https://data.example.org@evil.com/x.ndjson"))
				.isInstanceOf(ForbiddenOperationException.class);
		assertThatThrownBy(() -> sources.checkAllowed("http://10.0.0.5/other/x.ndjson"))
				.isInstanceOf(ForbiddenOperationException.class);
	}

	@Test
	void byDefault_noHttpAndNoFileSourceIsAllowed() {
		ImportSources sources = sources(List.of(), null);

		assertThatThrownBy(() -> sources.checkAllowed("https://data.example.org/x.ndjson"))
				.isInstanceOf(ForbiddenOperationException.class);
		assertThatThrownBy(() -> sources.checkAllowed("file:///etc/passwd"))
				.isInstanceOf(ForbiddenOperationException.class).hasMessageContaining("BULK-0218");
		assertThatThrownBy(() -> sources.checkAllowed("gopher://x/y")).isInstanceOf(InvalidRequestException.class)
				.hasMessageContaining("BULK-0216");
	}

	@Test
	void fileSources_mustStayInsideTheDirectory_evenThroughSymbolicLinks() throws IOException {
		Path directory = Files.createDirectories(temp.resolve("import"));
		Path inside = Files.writeString(directory.resolve("Patient.ndjson"), "{}\n");
		Path outside = Files.writeString(temp.resolve("secret.ndjson"), "{}\n");
		Path link = Files.createSymbolicLink(directory.resolve("link.ndjson"), outside);
		ImportSources sources = sources(List.of(), directory);

		assertThatCode(() -> sources.checkAllowed(inside.toUri().toString())).doesNotThrowAnyException();
		assertThatThrownBy(() -> sources.checkAllowed(directory.toUri() + "../secret.ndjson"))
				.isInstanceOf(ForbiddenOperationException.class);
		assertThatThrownBy(() -> sources.checkAllowed(directory.toUri() + "%2e%2e/secret.ndjson"))
				.isInstanceOf(ForbiddenOperationException.class);
		assertThatThrownBy(() -> sources.checkAllowed(link.toUri().toString()))
				.isInstanceOf(ForbiddenOperationException.class).hasMessageContaining("leads outside");
		assertThatThrownBy(() -> sources.checkAllowed(outside.toUri().toString()))
				.isInstanceOf(ForbiddenOperationException.class);
	}

	@Test
	void gzipInputs_areRecognisedByTheirFirstBytes() throws IOException {
		Path directory = Files.createDirectories(temp.resolve("import"));
		Path gzip = directory.resolve("Patient.ndjson.gz");
		try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzip))) {
			out.write("{\"resourceType\":\"Patient\"}\n".getBytes(StandardCharsets.UTF_8));
		}
		Path plain = Files.writeString(directory.resolve("Plain.ndjson"), "{\"resourceType\":\"Patient\"}\n");

		try (InputStream in = sources(List.of(), directory).open(gzip.toUri().toString());
				InputStream in2 = sources(List.of(), directory).open(plain.toUri().toString())) {
			assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"resourceType\":\"Patient\"}\n");
			assertThat(new String(in2.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"resourceType\":\"Patient\"}\n");
		}
	}

	@Test
	void urlsEscapingTheAllowedPrefix_areRefused_inEverySpelling() {
		// given: only https://files.example.org/extract/ is allowed
		ImportSources sources = sources(List.of("https://files.example.org/extract/"), null);
		List<List<String>> attacks = List.of(
				List.of("https://files.example.org/extract/../admin/x", "BULK-0217"),
				List.of("https://files.example.org/extract/%2e%2e/admin/x", "BULK-0217"),
				List.of("https://files.example.org/extract/%2E%2E/admin/x", "BULK-0217"),
				List.of("https://files.example.org/extract/.%2e/admin/x", "BULK-0217"),
				List.of("https://files.example.org/extract/%2e./admin/x", "BULK-0217"),
				List.of("https://files.example.org/extract/./../admin/x", "BULK-0217"),
				List.of("https://files.example.org/extract/a/../../admin/x", "BULK-0217"),
				List.of("https://files.example.org/extract/..", "BULK-0217"),
				List.of("https://files.example.org/extract/..%2fadmin/x", "BULK-0230"),
				List.of("https://files.example.org/extract/%2e%2e%2Fadmin/x", "BULK-0230"),
				List.of("https://files.example.org/extract/..%5cadmin/x", "BULK-0230"),
				List.of("https://files.example.org/extract/%252e%252e/admin/x", "BULK-0230"),
				List.of("https://files.example.org/extract/%252f..%252fadmin", "BULK-0230"),
				List.of("https://files.example.org/extract/..;/admin/x", "BULK-0230"),
				List.of("https://files.example.org/extract/x%00.ndjson", "BULK-0230"),
				List.of("https://user:secret@files.example.org/extract/x", "BULK-0230"),
				List.of("https://files.example.org@evil.com/extract/x", "BULK-0230"),
				List.of("https://files.example.org.evil.com/extract/x", "BULK-0217"),
				List.of("https://files.example.org:8443/extract/x", "BULK-0217"),
				List.of("http://files.example.org/extract/x", "BULK-0217"),
				List.of("https://files.example.org/extractor/x", "BULK-0217"),
				List.of("https://files.example.org/Extract/x", "BULK-0217"),
				List.of("https://files.example.org\\@evil.com/extract/x", "BULK-0216"),
				List.of("https://files.example.org/extract\\..\\admin", "BULK-0216"),
				List.of("https:files.example.org/extract/x", "BULK-0216"),
				List.of("https:///extract/x", "BULK-0216"));

		for (List<String> attack : attacks) {
			// when / then
			assertThatThrownBy(() -> sources.checkAllowed(attack.get(0))).as(attack.get(0))
					.isInstanceOf(BaseServerResponseException.class).hasMessageContaining(attack.get(1))
					.satisfies(e -> assertThat(((BaseServerResponseException) e).getStatusCode()).isIn(400, 403));
		}
	}

	@Test
	void allowedUrls_areMatchedAndFetchedInTheirNormalizedForm() {
		// given
		ImportSources sources = sources(List.of("https://files.example.org/extract/"), null);
		List<List<String>> allowed = List.of(
				List.of("HTTPS://FILES.Example.ORG:443/extract/a/../Patient.ndjson",
						"https://files.example.org/extract/Patient.ndjson"),
				List.of("https://files.example.org/extract/%50atient%2Endjson", "https://files.example.org/extract/Patient.ndjson"),
				List.of("https://files.example.org/extract/./x.ndjson?sig=a%2fb", "https://files.example.org/extract/x.ndjson?sig=a%2fb"),
				List.of("https://files.example.org/extract/my%20file.ndjson#../../admin",
						"https://files.example.org/extract/my%20file.ndjson"));

		for (List<String> url : allowed) {
			// when / then
			assertThatCode(() -> sources.checkAllowed(url.get(0))).as(url.get(0)).doesNotThrowAnyException();
			assertThat(SourceUrls.normalize(url.get(0))).as(url.get(0)).hasToString(url.get(1));
		}
		// and a prefix without a trailing slash ends at a segment boundary
		assertThat(SourceUrls.under(SourceUrls.normalize("https://a.org/data/x"), "https://a.org/data")).isTrue();
		assertThat(SourceUrls.under(SourceUrls.normalize("https://a.org/data-old/x"), "https://a.org/data")).isFalse();
		assertThat(SourceUrls.under(SourceUrls.normalize("https://a.org/x"), "https://a.org")).isTrue();
	}

	@Test
	void aDotSegmentUrl_isFetchedNormalized_andGetsNoCredentialsOfAPrefixItLeft() throws IOException {
		try (SourceServer server = new SourceServer("{}\n")) {
			// given: the whole server allowed, a token only for /extract/
			ImportSources sources = new ImportSources(settings(List.of(server.url("/")),
					List.of(new ImportSettings.SourceCredential(server.url("/extract/"), null, null, "s3cret")),
					Duration.ofSeconds(5), Duration.ofSeconds(5), DataSize.ofMegabytes(1)));

			// when
			try (InputStream in = sources.open(server.url("/extract/../admin/x.ndjson"))) {
				in.readAllBytes();
			}
			try (InputStream in = sources.open(server.url("/extract/%2e/P.ndjson"))) {
				in.readAllBytes();
			}

			// then
			assertThat(server.requests()).containsExactly(new SourceServer.Request("/admin/x.ndjson", null),
					new SourceServer.Request("/extract/P.ndjson", "Bearer s3cret"));
		}
	}

	@Test
	void aSourceThatStopsSending_failsTheReadAfterTheReadTimeout() {
		try (SourceServer server = new SourceServer("{\"resourceType\":\"Patient\",\"id\":\"a\"}\n")) {
			// given
			ImportSources sources = new ImportSources(settings(List.of(server.url("/")), List.of(),
					Duration.ofSeconds(1), Duration.ofSeconds(5), DataSize.ofMegabytes(1)));

			// when / then
			long started = System.nanoTime();
			assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(() -> {
				try (InputStream in = sources.open(server.url("/stall/Patient.ndjson"))) {
					in.readAllBytes();
				}
			}).isInstanceOf(IOException.class).hasMessageContaining("hapi.bulk.import.read-timeout"));
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
		}
	}

	@Test
	void abort_freesAReadBlockedOnASourceThatStopsSending() throws Exception {
		try (SourceServer server = new SourceServer("{\"resourceType\":\"Patient\",\"id\":\"a\"}\n")) {
			// given: a read timeout far away
			ImportSources sources = new ImportSources(settings(List.of(server.url("/")), List.of(),
					Duration.ofMinutes(5), Duration.ofSeconds(5), DataSize.ofMegabytes(1)));
			ImportSources.Input input = sources.open(server.url("/stall/Patient.ndjson"));
			CompletableFuture<Throwable> reading = CompletableFuture.supplyAsync(() -> {
				try {
					input.readAllBytes();
					return null;
				} catch (IOException e) {
					return e;
				}
			});
			Thread.sleep(300);
			assertThat(reading).isNotDone();

			// when
			input.abort("test");

			// then
			assertThat(reading.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
		}
	}

	@Test
	void aGzipBomb_isReadOnlyUpToTheDecompressedSizeLimit() throws IOException {
		// given: 64 MB of line breaks, about 64 KB gzip-compressed
		Path directory = Files.createDirectories(temp.resolve("import"));
		Path bomb = directory.resolve("bomb.ndjson.gz");
		byte[] newlines = new byte[1 << 20];
		java.util.Arrays.fill(newlines, (byte) '\n');
		try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bomb))) {
			for (int i = 0; i < 64; i++) {
				out.write(newlines);
			}
		}
		assertThat(Files.size(bomb)).isLessThan(1 << 20);
		ImportSources sources = new ImportSources(new ImportSettings(List.of(), List.of(), directory, 1000, 0,
				DataSize.ofMegabytes(1), Duration.ofSeconds(2), Duration.ofSeconds(2), 4, 1000, Duration.ofSeconds(5),
				DataSize.ofMegabytes(2), 1000, DataSize.ofMegabytes(256)));

		// when
		long[] read = {0};
		assertThatThrownBy(() -> {
			try (InputStream in = sources.open(bomb.toUri().toString())) {
				byte[] buffer = new byte[8192];
				for (int n; (n = in.read(buffer)) > 0; ) {
					read[0] += n;
				}
			}
		}).isInstanceOf(ImportSources.InputTooLargeException.class);

		// then
		assertThat(read[0]).isBetween(DataSize.ofMegabytes(2).toBytes() - 8192, DataSize.ofMegabytes(2).toBytes());
	}

	@Test
	void probing_isBoundedInTimeAndThreads_andOpensEachUrlOnce() {
		try (SourceServer server = new SourceServer("{}\n")) {
			// given: 30 sources that never answer, and one URL listed 200 times
			ImportSources sources = new ImportSources(settings(List.of(server.url("/")), List.of(),
					Duration.ofMinutes(5), Duration.ofSeconds(1), DataSize.ofMegabytes(1)));
			List<String> hanging = java.util.stream.IntStream.range(0, 30).mapToObj(i -> server.url("/hang/" + i))
					.toList();
			List<String> same = java.util.Collections.nCopies(200, server.url("/ok/Patient.ndjson"));

			// when
			long started = System.nanoTime();
			assertTimeoutPreemptively(Duration.ofSeconds(30), () -> sources.probeAll(hanging));
			Duration took = Duration.ofNanos(System.nanoTime() - started);
			sources.probeAll(same);

			// then: about the probe timeout, at most two rounds of four probes, and one request for the 200
			assertThat(took).isLessThan(Duration.ofSeconds(5));
			assertThat(server.requests().stream().filter(r -> r.path().startsWith("/hang/")).count()).isLessThanOrEqualTo(8);
			assertThat(server.requests().stream().filter(r -> r.path().startsWith("/ok/")).count()).isEqualTo(1);
		}
	}

	private static ImportSettings settings(List<String> allowed, List<ImportSettings.SourceCredential> credentials,
			Duration readTimeout, Duration probeTimeout, DataSize maxInputSize) {
		return new ImportSettings(allowed, credentials, null, 1000, 0, DataSize.ofMegabytes(1), Duration.ofSeconds(2),
				readTimeout, 4, 1000, probeTimeout, maxInputSize, 1000, DataSize.ofMegabytes(256));
	}
}
