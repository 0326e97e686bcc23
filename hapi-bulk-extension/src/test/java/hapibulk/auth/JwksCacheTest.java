package hapibulk.auth;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class JwksCacheTest {

	@Test
	void cacheLifetime_followsCacheControl() {
		assertThat(JwksCache.cacheLifetime(null)).isZero();
		assertThat(JwksCache.cacheLifetime("no-store")).isZero();
		assertThat(JwksCache.cacheLifetime("max-age=60, no-cache")).isZero();
		assertThat(JwksCache.cacheLifetime("public, max-age=60")).isEqualTo(Duration.ofSeconds(60));
		assertThat(JwksCache.cacheLifetime("max-age=86400")).isEqualTo(Duration.ofHours(1));
		assertThat(JwksCache.cacheLifetime("public")).isZero();
	}
}
