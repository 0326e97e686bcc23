package hapibulk.job;

import hapibulk.auth.JtiReplayGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.support.DatabaseType;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;

/**
 * Creates Spring Batch's tables and our job table in the host's database on first start and
 * leaves them alone afterwards (Spring Batch's scripts have no IF NOT EXISTS).
 */
public class BulkSchemaInitializer {

	private static final Logger LOG = LoggerFactory.getLogger(BulkSchemaInitializer.class);

	private final DataSource dataSource;

	public BulkSchemaInitializer(DataSource dataSource) {
		this.dataSource = dataSource;
		initialize();
	}

	private void initialize() {
		try {
			if (!tableExists("BATCH_JOB_INSTANCE")) {
				String script = "org/springframework/batch/core/schema-" + scriptPlatform() + ".sql";
				LOG.info("Creating the Spring Batch job repository tables from {}", script);
				new ResourceDatabasePopulator(new ClassPathResource(script)).execute(dataSource);
			}
		} catch (SQLException | org.springframework.jdbc.support.MetaDataAccessException e) {
			throw new IllegalStateException("Cannot create the Spring Batch tables", e);
		}
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("CREATE TABLE IF NOT EXISTS " + BulkJobTable.TABLE + " ("
				+ "JOB_ID VARCHAR(64) NOT NULL PRIMARY KEY,"
				+ " KIND VARCHAR(16) NOT NULL,"
				+ " STATE VARCHAR(16) NOT NULL,"
				+ " OWNER VARCHAR(256),"
				+ " REQUEST_URL VARCHAR(4000) NOT NULL,"
				+ " REQUEST_JSON TEXT,"
				+ " TRANSACTION_TIME BIGINT,"
				+ " CREATED_AT BIGINT NOT NULL,"
				+ " EXPIRES_AT BIGINT,"
				+ " EXECUTION_ID BIGINT,"
				+ " PROGRESS_DONE BIGINT NOT NULL,"
				+ " PROGRESS_TOTAL BIGINT NOT NULL,"
				+ " MANIFEST_JSON TEXT,"
				+ " ERROR_MESSAGE VARCHAR(4000))");
		// Columns added after the first release: databases created before get them here (no-ops on newer ones).
		jdbc.execute("ALTER TABLE " + BulkJobTable.TABLE + " ADD COLUMN IF NOT EXISTS OWNER VARCHAR(256)");
		jdbc.execute("ALTER TABLE " + BulkJobTable.TABLE
				+ " ADD COLUMN IF NOT EXISTS SEPARATE_STATUS BOOLEAN DEFAULT FALSE NOT NULL");
		jdbc.execute("ALTER TABLE " + BulkJobTable.TABLE
				+ " ADD COLUMN IF NOT EXISTS PARTIAL_MANIFESTS BOOLEAN DEFAULT FALSE NOT NULL");
		jdbc.execute("ALTER TABLE " + BulkJobTable.TABLE + " ADD COLUMN IF NOT EXISTS OUTPUT_ORGANIZED_BY VARCHAR(64)");
		jdbc.execute("ALTER TABLE " + BulkJobTable.TABLE + " ADD COLUMN IF NOT EXISTS STARTED_AT BIGINT");
		jdbc.execute("ALTER TABLE " + BulkJobTable.TABLE + " ADD COLUMN IF NOT EXISTS FINISHED_AT BIGINT");
		// The patient context of the kick-off's token, part of who owns the job (rows made before: none).
		jdbc.execute("ALTER TABLE " + BulkJobTable.TABLE + " ADD COLUMN IF NOT EXISTS OWNER_PATIENT VARCHAR(256)");
		// Progress per resource type (see BulkJobProgress).
		jdbc.execute(BulkJobProgress.createTableSql());
		jdbc.execute("CREATE INDEX IF NOT EXISTS BULK_JOB_CREATED_IDX ON " + BulkJobTable.TABLE + " (CREATED_AT)");
		// Files a running job has finished, for partial manifests (see BulkJobFiles).
		jdbc.execute("CREATE TABLE IF NOT EXISTS " + BulkJobFiles.TABLE + " (JOB_ID VARCHAR(64) NOT NULL,"
				+ " FILE_NAME VARCHAR(255) NOT NULL, KIND VARCHAR(16) NOT NULL, RES_TYPE VARCHAR(100),"
				+ " LINE_COUNT BIGINT NOT NULL, BYTE_COUNT BIGINT NOT NULL, SHA256 VARCHAR(64), CONTINUES_IN VARCHAR(255),"
				+ " SEQ BIGINT NOT NULL, PAGE INTEGER, FINAL_PAGE BOOLEAN, PRIMARY KEY (JOB_ID, FILE_NAME))");
		jdbc.execute("CREATE INDEX IF NOT EXISTS BULK_JOB_STATE_IDX ON " + BulkJobTable.TABLE + " (STATE)");
		// Resources matched by an export's _typeFilter searches (see TypeFilterMatches).
		jdbc.execute("CREATE TABLE IF NOT EXISTS BULK_EXPORT_MATCH (JOB_ID VARCHAR(64) NOT NULL,"
				+ " RES_TYPE VARCHAR(100) NOT NULL, RES_ID BIGINT NOT NULL)");
		jdbc.execute("CREATE INDEX IF NOT EXISTS BULK_EXPORT_MATCH_IDX ON BULK_EXPORT_MATCH (JOB_ID, RES_ID)");
		// The resources a Group or listed-patient export may hold, found by its plan (see CompartmentScope).
		jdbc.execute("CREATE TABLE IF NOT EXISTS BULK_EXPORT_SCOPE (JOB_ID VARCHAR(64) NOT NULL,"
				+ " RES_TYPE VARCHAR(100) NOT NULL, RES_ID BIGINT NOT NULL)");
		jdbc.execute("CREATE INDEX IF NOT EXISTS BULK_EXPORT_SCOPE_IDX ON BULK_EXPORT_SCOPE (JOB_ID, RES_TYPE, RES_ID)");
		// Node leases, and which node runs each job (see NodeLease).
		jdbc.execute(NodeLease.createTableSql());
		jdbc.execute("ALTER TABLE " + BulkJobTable.TABLE + " ADD COLUMN IF NOT EXISTS NODE_ID VARCHAR("
				+ NodeLease.MAX_NODE_ID_LENGTH + ")");
		// One row per job kind, locked while a kick-off counts the active jobs of its kind (see ActiveJobGate).
		ActiveJobGate.createTable(jdbc);
		// Which node runs each remote partition (see PartitionClaims).
		jdbc.execute(PartitionClaims.createTableSql());
		// Client assertion ids seen by the token endpoint (replay protection shared by restarts and nodes).
		jdbc.execute(JtiReplayGuard.createTableSql());
	}

	private String scriptPlatform() throws org.springframework.jdbc.support.MetaDataAccessException {
		DatabaseType type = DatabaseType.fromMetaData(dataSource);
		return switch (type) {
			case POSTGRES -> "postgresql";
			case HSQL -> "hsqldb";
			default -> type.name().toLowerCase(Locale.ROOT);
		};
	}

	private boolean tableExists(String table) throws SQLException {
		try (Connection connection = dataSource.getConnection()) {
			DatabaseMetaData metaData = connection.getMetaData();
			for (String name : new String[] {table, table.toLowerCase(Locale.ROOT)}) {
				try (ResultSet tables = metaData.getTables(connection.getCatalog(), connection.getSchema(), name,
						new String[] {"TABLE"})) {
					if (tables.next()) {
						return true;
					}
				}
			}
			return false;
		}
	}
}
