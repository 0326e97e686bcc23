package hapibulk.bench;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import hapibulk.bench.Contenders.ImportContender;
import hapibulk.bench.Contenders.Outcome;
import hapibulk.bench.Contenders.Role;
import hapibulk.bench.SyntheaCopies.DataSet;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.FlushModeType;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The import floor: HAPI's own DAO writes in large batches, one database transaction per batch of
 * {@code dao.update} calls (sharing one {@link TransactionDetails}, the session flushed at commit),
 * parsed and written on one thread per core, type after type in dependency order. The benchmark
 * runs it with HAPI's mass-ingestion mode on. It also loads the export data.
 * <p>
 * Not a transaction Bundle: HAPI resolves a Bundle's ids with one query of OR-ed (type, id) pairs,
 * which H2 answers by reading the whole resource table per batch. Not flushed before each query
 * either: every query would then flush the batch's pending inserts again.
 */
final class FloorImport implements ImportContender {

	static final int BATCH = 500;

	private final FhirContext fhirContext;
	private final DaoRegistry daoRegistry;
	private final EntityManager entityManager;
	private final TransactionTemplate transaction;
	private final int threads;

	FloorImport(FhirContext fhirContext, DaoRegistry daoRegistry, EntityManagerFactory entityManagerFactory,
			PlatformTransactionManager transactionManager, int threads) {
		this.fhirContext = fhirContext;
		this.daoRegistry = daoRegistry;
		this.entityManager = SharedEntityManagerCreator.createSharedEntityManager(entityManagerFactory);
		this.transaction = new TransactionTemplate(transactionManager);
		this.threads = threads;
	}

	@Override
	public Role role() {
		return Role.FLOOR;
	}

	@Override
	public Outcome importSet(DataSet set) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		long stored = 0;
		try {
			for (String type : SyntheaCopies.DEPENDENCY_ORDER) {
				List<Future<Integer>> batches = new ArrayList<>();
				try (BufferedReader reader = Files.newBufferedReader(set.file(type))) {
					List<String> batch = new ArrayList<>(BATCH);
					for (String line = reader.readLine(); line != null; line = reader.readLine()) {
						batch.add(line);
						if (batch.size() == BATCH) {
							batches.add(submit(pool, type, batch));
							batch = new ArrayList<>(BATCH);
						}
					}
					if (!batch.isEmpty()) {
						batches.add(submit(pool, type, batch));
					}
				}
				// Later types reference this one: let it finish first.
				long before = stored;
				for (Future<Integer> batch : batches) {
					stored += batch.get();
				}
				System.out.printf("[floor import] %s: %d stored, %d so far%n", type, stored - before, stored);
			}
		} finally {
			pool.shutdownNow();
		}
		return new Outcome(stored, "");
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private Future<Integer> submit(ExecutorService pool, String type, List<String> lines) {
		return pool.submit(() -> {
			IParser parser = fhirContext.newJsonParser();
			IFhirResourceDao dao = daoRegistry.getResourceDao(type);
			transaction.executeWithoutResult(status -> {
				entityManager.setFlushMode(FlushModeType.COMMIT);
				SystemRequestDetails request = new SystemRequestDetails();
				TransactionDetails details = new TransactionDetails();
				for (String line : lines) {
					dao.update(parser.parseResource(line), null, true, false, request, details);
				}
			});
			return lines.size();
		});
	}
}
