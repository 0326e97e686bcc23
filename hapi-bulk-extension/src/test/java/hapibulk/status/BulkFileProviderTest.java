package hapibulk.status;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BulkFileProviderTest {

	@Test
	void acceptsGzip_followsTheAcceptEncodingHeader() {
		assertThat(BulkFileProvider.acceptsGzip("gzip")).isTrue();
		assertThat(BulkFileProvider.acceptsGzip("br, GZIP;q=0.8")).isTrue();
		assertThat(BulkFileProvider.acceptsGzip("gzip;q=0")).isFalse();
		assertThat(BulkFileProvider.acceptsGzip("identity")).isFalse();
		assertThat(BulkFileProvider.acceptsGzip(null)).isFalse();
	}
}
