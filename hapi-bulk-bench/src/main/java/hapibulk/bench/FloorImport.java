package hapibulk.bench;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import hapibulk.bench.Contenders.ImportContender;
import hapibulk.bench.Contenders.Outcome;
import hapibulk.bench.Contenders.Role;
import hapibulk.bench.SyntheaCopies.DataSet;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The import floor: HAPI's own DAO writes in large batches, one database transaction per batch (a
 * transaction Bundle of PUTs through the system DAO, which resolves the batch's ids in one query),
 * parsed and written on one thread per core, type after type in dependency order. The benchmark
 * runs it with HAPI's mass-ingestion mode on. It also loads the export data.
 * <p>
 * Not a loop of {@code dao.update} calls in one Spring transaction: every query then auto-flushes a
 * Hibernate session holding the whole batch, and a batch of 1,000 took minutes.
 */
final class FloorImport implements ImportContender {

	static final int BATCH = 500;

	private final FhirContext fhirContext;
	private final IFhirSystemDao<Bundle, ?> systemDao;
	private final int threads;

	FloorImport(FhirContext fhirContext, IFhirSystemDao<Bundle, ?> systemDao, int threads) {
		this.fhirContext = fhirContext;
		this.systemDao = systemDao;
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

	private Future<Integer> submit(ExecutorService pool, String type, List<String> lines) {
		return pool.submit(() -> {
			IParser parser = fhirContext.newJsonParser();
			Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
			for (String line : lines) {
				Resource resource = (Resource) parser.parseResource(line);
				String url = type + "/" + resource.getIdElement().getIdPart();
				bundle.addEntry().setResource(resource).setFullUrl(url).getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl(url);
			}
			systemDao.transaction(new SystemRequestDetails(), bundle);
			return lines.size();
		});
	}
}
