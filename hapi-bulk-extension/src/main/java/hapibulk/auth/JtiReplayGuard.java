package hapibulk.auth;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Instant;

/**
 * Remembers every client assertion's {@code jti} until the assertion expires, in the database
 * (table {@code BULK_AUTH_JTI}, created with the extension's other tables), so that neither a
 * restart nor a second server node accepts a replayed assertion.
 */
public class JtiReplayGuard {

	public static final String TABLE = "BULK_AUTH_JTI";

	private final JdbcTemplate jdbc;
	private final Clock clock;

	public JtiReplayGuard(JdbcTemplate jdbc, Clock clock) {
		this.jdbc = jdbc;
		this.clock = clock;
	}

	/** Records a jti; false if it was seen before (a replay). The primary key makes this atomic across nodes. */
	public boolean firstUse(String issuer, String jti, Instant expiresAt) {
		jdbc.update("DELETE FROM " + TABLE + " WHERE EXPIRES_AT < ?", clock.instant().toEpochMilli());
		try {
			jdbc.update("INSERT INTO " + TABLE + " (ISS, JTI, EXPIRES_AT) VALUES (?, ?, ?)", issuer, jti,
					expiresAt.toEpochMilli());
			return true;
		} catch (DuplicateKeyException replay) {
			return false;
		}
	}

	/** The DDL, run by the schema initializer. */
	public static String createTableSql() {
		return "CREATE TABLE IF NOT EXISTS " + TABLE + " (ISS VARCHAR(256) NOT NULL, JTI VARCHAR(256) NOT NULL,"
				+ " EXPIRES_AT BIGINT NOT NULL, PRIMARY KEY (ISS, JTI))";
	}
}
