package hapibulk.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every rule of RFC 7523 §3 / SMART Backend Services that the verifier applies, one by one. */
class ClientAssertionVerifierTest {

	static final String TOKEN_URL = "https://fhir.example/fhir/auth/token";

	RSAKey rsa;
	ECKey ec;
	ClientAssertionVerifier verifier;

	/**
	 * A token request that finds every JWKS fetch thread and queue place taken (other clients' hosts hanging) is
	 * answered 503 temporarily_unavailable with Retry-After, not 401: its credentials were never looked at. And its
	 * URL is not held for the refetch interval: once the pool has room, the same client gets its token.
	 */
	@Test
	void verify_whileEveryJwksFetchIsTaken_is503WithRetryAfter_andTheNextRequestFetchesTheKeys() throws Exception {
		// given: a host whose /hang/N answers only when released, and the client's keys at /jwks on the same host
		java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
		java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();
		com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
				new java.net.InetSocketAddress("127.0.0.1", 0), 0);
		server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
		java.util.concurrent.atomic.AtomicInteger hanging = new java.util.concurrent.atomic.AtomicInteger();
		server.createContext("/hang", exchange -> {
			hanging.incrementAndGet();
			try {
				release.await(30, java.util.concurrent.TimeUnit.SECONDS);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
			exchange.sendResponseHeaders(404, -1);
			exchange.close();
		});
		JwksCacheTest.serve(server, "/jwks", new JWKSet(rsa.toPublicJWK()).toString(), "max-age=600", fetches);
		server.start();
		java.util.concurrent.ExecutorService others = java.util.concurrent.Executors.newCachedThreadPool();
		try {
			String base = "http://127.0.0.1:" + server.getAddress().getPort();
			JwksCache cache = new JwksCache(Clock.systemUTC(), java.time.Duration.ofSeconds(60),
					java.time.Duration.ofSeconds(20), hapibulk.metrics.BulkMetrics.none());
			ClientAssertionVerifier remote = new ClientAssertionVerifier(new RegisteredClients(List.of(
					new AuthSettings.Client("remote-client", null, base + "/jwks", "system/*.read", null)),
					ScopeSetTest.TYPES), cache, replayGuard(), Clock.systemUTC());
			// the pool's 2 threads and 8 queue places taken by fetches of hanging hosts
			for (int i = 0; i < 10; i++) {
				String url = base + "/hang/" + i;
				others.submit(() -> cache.get(url, false));
			}
			// both fetch threads hang at the host; the other eight wait in the queue (they are put there at once)
			org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> hanging.get() == 2);
			Thread.sleep(1000);

			// when
			String first = sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("rsa").build(),
					claims("remote-client").build(), new RSASSASigner(rsa));
			OAuthError refusal = org.assertj.core.api.Assertions.catchThrowableOfType(
					() -> remote.verify(first, TOKEN_URL), OAuthError.class);

			// then
			assertThat(refusal).isNotNull();
			assertThat(refusal.status()).isEqualTo(503);
			assertThat(refusal.error()).isEqualTo("temporarily_unavailable");
			assertThat(refusal.retryAfterSeconds()).isPositive();
			assertThat(fetches.get()).isZero();

			// and when the pool has room again, the same client's next assertion is verified with a fetch
			release.countDown();
			String next = sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("rsa").build(),
					claims("remote-client").build(), new RSASSASigner(rsa));
			// (while the queued fetches drain it may still be 503)
			org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
					.ignoreExceptionsInstanceOf(OAuthError.class).untilAsserted(() ->
					assertThat(remote.verify(next, TOKEN_URL).clientId()).isEqualTo("remote-client"));
			assertThat(fetches.get()).isEqualTo(1);
		} finally {
			release.countDown();
			others.shutdownNow();
			server.stop(0);
		}
	}

	@BeforeEach
	void setUp() throws Exception {
		rsa = new RSAKeyGenerator(2048).keyID("rsa").generate();
		ec = new ECKeyGenerator(Curve.P_384).keyID("ec").generate();
		JdbcDataSource dataSource = new JdbcDataSource();
		dataSource.setURL("jdbc:h2:mem:jti-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute(JtiReplayGuard.createTableSql());
		RegisteredClients clients = new RegisteredClients(List.of(
				new AuthSettings.Client("rsa-client", new JWKSet(rsa.toPublicJWK()).toString(), null, "system/*.read", null),
				new AuthSettings.Client("ec-client", new JWKSet(ec.toPublicJWK()).toString(), null, "system/*.read", "p1")),
				ScopeSetTest.TYPES);
		verifier = new ClientAssertionVerifier(clients, new JwksCache(Clock.systemUTC()),
				new JtiReplayGuard(jdbc, Clock.systemUTC()), Clock.systemUTC());
	}

	@Test
	void verify_acceptsRs384AndEs384() throws Exception {
		assertThat(verifier.verify(rsaAssertion(c -> {}, h -> {}), TOKEN_URL).clientId()).isEqualTo("rsa-client");
		assertThat(verifier.verify(ecAssertion(c -> {}), TOKEN_URL).patient()).isEqualTo("p1");
	}

	@Test
	void verify_refusesEachBrokenRule() throws Exception {
		Instant now = Instant.now();
		assertRefused(rsaAssertion(c -> c.expirationTime(Date.from(now.minusSeconds(120))), h -> {}), "expired");
		assertRefused(rsaAssertion(c -> c.expirationTime(null), h -> {}), "no exp");
		assertRefused(rsaAssertion(c -> c.expirationTime(Date.from(now.plusSeconds(900))), h -> {}), "5 minutes");
		assertRefused(rsaAssertion(c -> c.audience("https://other/token"), h -> {}), "aud");
		assertRefused(rsaAssertion(c -> c.subject("x"), h -> {}), "sub");
		assertRefused(rsaAssertion(c -> c.issuer("nobody").subject("nobody"), h -> {}), "Unknown client");
		assertRefused(rsaAssertion(c -> c.jwtID(null), h -> {}), "jti");
		assertRefused(rsaAssertion(c -> {}, h -> h.keyID("other")), "kid");
		assertRefused(rsaAssertion(c -> c.notBeforeTime(Date.from(now.plusSeconds(120))), h -> {}), "not valid yet");
		assertRefused(rsaAssertion(c -> {}, h -> h.jwkURL(java.net.URI.create("https://evil.example/jwks"))),
				"not one of this client's allow-listed JWKS URLs");
		// Signed by another key under the registered kid
		RSAKey other = new RSAKeyGenerator(2048).keyID("rsa").generate();
		assertRefused(sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("rsa").build(), claims("rsa-client").build(),
				new RSASSASigner(other)), "signature");
		// The EC client's kid claimed with an RSA algorithm: no key fits
		assertRefused(sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("ec").build(), claims("ec-client").build(),
				new RSASSASigner(rsa)), "fits");
		assertRefused("garbage", "not a signed JWT");
	}

	@Test
	void verify_takesKeysFromTheClientsOwnAllowListedJku_neverForAnotherClient() throws Exception {
		// given: the JWKS at jku belongs to rsa-client (its jku-allow-list); other-client has inline keys only
		RSAKey jkuKey = new RSAKeyGenerator(2048).keyID("jku-key").generate();
		com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
				new java.net.InetSocketAddress("127.0.0.1", 0), 0);
		JwksCacheTest.serve(server, "/jwks", new JWKSet(jkuKey.toPublicJWK()).toString(), "max-age=60",
				new java.util.concurrent.atomic.AtomicInteger());
		server.start();
		try {
			String jku = "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
			ClientAssertionVerifier withAllowList = new ClientAssertionVerifier(new RegisteredClients(List.of(
					new AuthSettings.Client("rsa-client", new JWKSet(rsa.toPublicJWK()).toString(), null, "system/*.read",
							null, List.of(jku)),
					new AuthSettings.Client("other-client", new JWKSet(ec.toPublicJWK()).toString(), null, "system/*.read",
							null)), ScopeSetTest.TYPES), new JwksCache(Clock.systemUTC()), replayGuard(), Clock.systemUTC());

			// when: the key holder signs as its own client, and as another client naming the same jku
			String own = sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("jku-key")
					.jwkURL(java.net.URI.create(jku)).build(), claims("rsa-client").build(), new RSASSASigner(jkuKey));
			String impersonation = sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("jku-key")
					.jwkURL(java.net.URI.create(jku)).build(), claims("other-client").build(), new RSASSASigner(jkuKey));

			// then: only its own client is authenticated
			assertThat(withAllowList.verify(own, TOKEN_URL).clientId()).isEqualTo("rsa-client");
			assertThatThrownBy(() -> withAllowList.verify(impersonation, TOKEN_URL)).isInstanceOf(OAuthError.class)
					.hasMessageContaining("not one of this client's allow-listed JWKS URLs");
		} finally {
			server.stop(0);
		}
	}

	@Test
	void globalJkuAllowList_refusesToStart() {
		// given / when / then: the old global list would let any key there sign for every client
		assertThatThrownBy(() -> new AuthSettings(AuthMode.SMART, List.of(), List.of("https://keys.example/jwks"),
				java.time.Duration.ofMinutes(5), null, new AuthSettings.External(null, null, null),
				AuthSettings.TokenLimits.DEFAULTS)).isInstanceOf(IllegalArgumentException.class)
				.hasMessageContaining("hapi.bulk.auth.clients[n].jku-allow-list");
	}

	@Test
	void verify_unknownKids_refetchTheJwksAtMostOncePerInterval() throws Exception {
		// given: a client whose keys are at a URL (cacheable for a minute), and a clock we move
		java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();
		com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
				new java.net.InetSocketAddress("127.0.0.1", 0), 0);
		JwksCacheTest.serve(server, "/jwks", new JWKSet(rsa.toPublicJWK()).toString(), "max-age=600", fetches);
		server.start();
		try {
			String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
			MovableClock jwksClock = new MovableClock();
			ClientAssertionVerifier remote = new ClientAssertionVerifier(new RegisteredClients(List.of(
					new AuthSettings.Client("remote-client", null, url, "system/*.read", null)), ScopeSetTest.TYPES),
					new JwksCache(jwksClock, java.time.Duration.ofSeconds(60)), replayGuard(), Clock.systemUTC());

			// when: 20 assertions with invented kids (each would have forced a blocking refetch)
			for (int i = 0; i < 20; i++) {
				String assertion = sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("invented-" + i).build(),
						claims("remote-client").build(), new RSASSASigner(rsa));
				assertThatThrownBy(() -> remote.verify(assertion, TOKEN_URL)).isInstanceOf(OAuthError.class);
			}

			// then: one fetch in all; after the interval, one more refetch for a new kid (key rotation still works)
			assertThat(fetches.get()).isEqualTo(1);
			jwksClock.advance(java.time.Duration.ofSeconds(61));
			String later = sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("invented-late").build(),
					claims("remote-client").build(), new RSASSASigner(rsa));
			assertThatThrownBy(() -> remote.verify(later, TOKEN_URL)).isInstanceOf(OAuthError.class);
			assertThat(fetches.get()).isEqualTo(2);
		} finally {
			server.stop(0);
		}
	}

	static final class MovableClock extends Clock {
		private Instant now = Instant.now();

		void advance(java.time.Duration duration) {
			now = now.plus(duration);
		}

		@Override
		public java.time.ZoneId getZone() {
			return java.time.ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(java.time.ZoneId zone) {
			return this;
		}

		@Override
		public Instant instant() {
			return now;
		}
	}

	private static JtiReplayGuard replayGuard() {
		JdbcDataSource dataSource = new JdbcDataSource();
		dataSource.setURL("jdbc:h2:mem:jti-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute(JtiReplayGuard.createTableSql());
		return new JtiReplayGuard(jdbc, Clock.systemUTC());
	}

	@Test
	void verify_refusesAReplayedJti() throws Exception {
		String assertion = rsaAssertion(c -> {}, h -> {});
		verifier.verify(assertion, TOKEN_URL);
		assertRefused(assertion, "already used");
	}

	private void assertRefused(String assertion, String reason) {
		assertThatThrownBy(() -> verifier.verify(assertion, TOKEN_URL)).isInstanceOf(OAuthError.class)
				.hasMessageContaining(reason)
				.satisfies(e -> assertThat(((OAuthError) e).error()).isEqualTo("invalid_client"));
	}

	private JWTClaimsSet.Builder claims(String client) {
		return new JWTClaimsSet.Builder().issuer(client).subject(client).audience(TOKEN_URL)
				.expirationTime(Date.from(Instant.now().plusSeconds(240))).jwtID(UUID.randomUUID().toString());
	}

	private String rsaAssertion(Consumer<JWTClaimsSet.Builder> claims, Consumer<JWSHeader.Builder> header) throws Exception {
		JWTClaimsSet.Builder c = claims("rsa-client");
		claims.accept(c);
		JWSHeader.Builder h = new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("rsa").type(JOSEObjectType.JWT);
		header.accept(h);
		return sign(h.build(), c.build(), new RSASSASigner(rsa));
	}

	private String ecAssertion(Consumer<JWTClaimsSet.Builder> claims) throws Exception {
		JWTClaimsSet.Builder c = claims("ec-client");
		claims.accept(c);
		return sign(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID("ec").build(), c.build(), new ECDSASigner(ec));
	}

	private static String sign(JWSHeader header, JWTClaimsSet claims, com.nimbusds.jose.JWSSigner signer) throws Exception {
		SignedJWT jwt = new SignedJWT(header, claims);
		jwt.sign(signer);
		return jwt.serialize();
	}
}
