package hapibulk.imports;

import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.config.BulkProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImportSourcesTest {

	@TempDir
	Path temp;

	private ImportSources sources(List<String> allowed, Path directory) {
		return new ImportSources(new BulkProperties.Import(allowed, List.of(), directory, 1000, 0, DataSize.ofMegabytes(1),
				Duration.ofSeconds(2), 4));
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
}
