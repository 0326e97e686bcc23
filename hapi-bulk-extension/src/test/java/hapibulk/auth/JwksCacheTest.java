package hapibulk.auth;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

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

	@Test
	void get_reusesAJwksOnlyWhileCacheControlAllows() throws Exception {
		String jwks = new JWKSet(new RSAKeyGenerator(2048).keyID("k").generate().toPublicJWK()).toString();
		AtomicInteger cachedFetches = new AtomicInteger();
		AtomicInteger uncachedFetches = new AtomicInteger();
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		serve(server, "/cached", jwks, "max-age=60", cachedFetches);
		serve(server, "/uncached", jwks, "no-store", uncachedFetches);
		server.start();
		try {
			String base = "http://127.0.0.1:" + server.getAddress().getPort();
			JwksCache cache = new JwksCache(Clock.systemUTC());
			for (int i = 0; i < 3; i++) {
				assertThat(cache.get(base + "/cached", false).getKeyByKeyId("k")).isNotNull();
				assertThat(cache.get(base + "/uncached", false).getKeyByKeyId("k")).isNotNull();
			}
			assertThat(cachedFetches.get()).isEqualTo(1);
			assertThat(uncachedFetches.get()).isEqualTo(3);
			cache.get(base + "/cached", true);
			assertThat(cachedFetches.get()).as("a refresh skips the cache").isEqualTo(2);
		} finally {
			server.stop(0);
		}
	}

	static void serve(HttpServer server, String path, String body, String cacheControl, AtomicInteger counter) {
		server.createContext(path, exchange -> {
			counter.incrementAndGet();
			byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().add("Cache-Control", cacheControl);
			exchange.sendResponseHeaders(200, bytes.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(bytes);
			}
		});
	}
}
