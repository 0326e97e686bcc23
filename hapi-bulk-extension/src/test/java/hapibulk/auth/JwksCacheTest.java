package hapibulk.auth;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import hapibulk.metrics.BulkMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
	void get_reusesAJwksWhileCacheControlAllows_andWithoutCacheHeadersFetchesAtMostOncePerInterval() throws Exception {
		String jwks = new JWKSet(new RSAKeyGenerator(2048).keyID("k").generate().toPublicJWK()).toString();
		AtomicInteger cachedFetches = new AtomicInteger();
		AtomicInteger uncachedFetches = new AtomicInteger();
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		serve(server, "/cached", jwks, "max-age=600", cachedFetches);
		serve(server, "/uncached", jwks, "no-store", uncachedFetches);
		server.start();
		try {
			String base = "http://127.0.0.1:" + server.getAddress().getPort();
			ClientAssertionVerifierTest.MovableClock clock = new ClientAssertionVerifierTest.MovableClock();
			SimpleMeterRegistry registry = new SimpleMeterRegistry();
			JwksCache cache = new JwksCache(clock, Duration.ofSeconds(60), Duration.ofSeconds(3), BulkMetrics.on(registry));
			for (int i = 0; i < 3; i++) {
				assertThat(cache.get(base + "/cached", false).getKeyByKeyId("k")).isNotNull();
				assertThat(cache.get(base + "/uncached", false).getKeyByKeyId("k")).isNotNull();
			}
			assertThat(cachedFetches.get()).isEqualTo(1);
			assertThat(uncachedFetches.get()).as("no-store: the copy stands in until the interval is over").isEqualTo(1);
			cache.get(base + "/cached", true);
			assertThat(cachedFetches.get()).as("a refresh within the interval fetches nothing either").isEqualTo(1);

			clock.advance(Duration.ofSeconds(61));
			cache.get(base + "/uncached", false);
			cache.get(base + "/cached", true);
			assertThat(uncachedFetches.get()).isEqualTo(2);
			assertThat(cachedFetches.get()).as("a refresh after the interval fetches").isEqualTo(2);
			assertThat(registry.get("hapi.bulk.jwks.fetches").tag("outcome", "success").counter().count()).isEqualTo(4);
		} finally {
			server.stop(0);
		}
	}

	@Test
	void get_ofASlowHost_givesUpAfterTheTimeout_andCountsAFailure() throws Exception {
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		server.createContext("/slow", exchange -> {
			try {
				Thread.sleep(10_000);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
			exchange.sendResponseHeaders(500, -1);
			exchange.close();
		});
		server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
		server.start();
		try {
			SimpleMeterRegistry registry = new SimpleMeterRegistry();
			JwksCache cache = new JwksCache(Clock.systemUTC(), Duration.ofSeconds(60), Duration.ofMillis(500),
					BulkMetrics.on(registry));
			String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/slow";
			long start = System.nanoTime();

			assertThatThrownBy(() -> cache.get(url, false)).isInstanceOf(IOException.class).hasMessageContaining("500 ms");
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
			assertThat(registry.get("hapi.bulk.jwks.fetches").tag("outcome", "failure").counter().count()).isEqualTo(1);
			// and no second fetch within the interval: the failure stands
			assertThatThrownBy(() -> cache.get(url, false)).isInstanceOf(IOException.class)
					.hasMessageContaining("jwks-refetch-interval");
			assertThat(registry.get("hapi.bulk.jwks.fetches").tag("outcome", "failure").counter().count()).isEqualTo(1);
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
