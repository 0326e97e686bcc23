package hapibulk.export.job;

import ca.uhn.fhir.context.FhirContext;
import hapibulk.auth.ScopeSet;
import hapibulk.export.ExportLevel;
import hapibulk.export.ExportRequest;
import hapibulk.export.PatientCompartment;
import hapibulk.export.TypeFilters;
import hapibulk.export.job.ExportScopeResolver.ExportScope;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobTable;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepContribution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.item.ExecutionContext;
import org.springframework.batch.repeat.RepeatStatus;
import org.springframework.batch.core.step.tasklet.Tasklet;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

/**
 * First step: reads the request from the job row and decides the partitions (one per type that has
 * resources to export, plus one for deletions when {@code _since} is given at system level) and the
 * total for progress. The plan goes into the job's execution context, so a restarted job keeps the
 * partitions it started with.
 */
class ExportPlanTasklet implements Tasklet {

	static final String PLAN = "exportPlan";
	/** For output organised by patient: what each patient's block holds, one filter per type. */
	static final String BLOCK_MEMBERS = "exportBlockMembers";
	/** Set when the client allowed partial manifests: partitions then record each file they finish. */
	static final String PARTIAL_MANIFESTS = "exportPartialManifests";

	private final StoredResourceReader reader;
	private final ExportScopeResolver scopeResolver;
	private final PatientCompartment compartment;
	private final BulkJobTable table;
	private final FhirContext fhirContext;
	private final TypeFilterMatches typeFilterMatches;
	private final CompartmentScope compartmentScope;
	private final boolean includeReferencedResources;

	private final long partitionSize;

	ExportPlanTasklet(StoredResourceReader reader, ExportScopeResolver scopeResolver, PatientCompartment compartment,
			BulkJobTable table, FhirContext fhirContext, TypeFilterMatches typeFilterMatches,
			CompartmentScope compartmentScope, boolean includeReferencedResources) {
		this(reader, scopeResolver, compartment, table, fhirContext, typeFilterMatches, compartmentScope,
				includeReferencedResources, Long.MAX_VALUE);
	}

	/** @param partitionSize a type with more resources is cut into key ranges of about this many, one partition each */
	ExportPlanTasklet(StoredResourceReader reader, ExportScopeResolver scopeResolver, PatientCompartment compartment,
			BulkJobTable table, FhirContext fhirContext, TypeFilterMatches typeFilterMatches,
			CompartmentScope compartmentScope, boolean includeReferencedResources, long partitionSize) {
		this.partitionSize = partitionSize;
		this.compartmentScope = compartmentScope;
		this.includeReferencedResources = includeReferencedResources;
		this.fhirContext = fhirContext;
		this.typeFilterMatches = typeFilterMatches;
		this.reader = reader;
		this.scopeResolver = scopeResolver;
		this.compartment = compartment;
		this.table = table;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
		var stepExecution = chunkContext.getStepContext().getStepExecution();
		String jobId = stepExecution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
		BulkJob job = table.find(jobId).orElseThrow(() -> new IllegalStateException("No job row for " + jobId));
		ExportRequest request = ExportRequest.fromJson(job.requestJson());
		ExportScope scope = scope(request);

		List<ExportFilter> plan = new ArrayList<>();
		List<ExportFilter> blockMembers = new ArrayList<>();
		Map<String, Long> totals = new LinkedHashMap<>();
		// Every filter reads the job's tenant only: its partition(s) are a key of every scan.
		for (ExportFilter filter : filters(jobId, request, scope, job.transactionTime()).stream()
				.map(filter -> filter.withTenant(request.tenant())).toList()) {
			long count = reader.count(filter);
			if (count > 0) {
				totals.merge(progressType(filter, request.patientBlocks()), count, Long::sum);
				if (request.patientBlocks() && !filter.deleted()) {
					blockMembers.add(blockMember(filter));
				} else {
					plan.addAll(keyRanges(filter, count));
				}
			}
		}
		ExecutionContext jobContext = stepExecution.getJobExecution().getExecutionContext();
		if (!blockMembers.isEmpty()) {
			// One partition walks the patients in scope; each patient's block reads the members.
			plan.add(0, patientsInScope(request, scope).withTenant(request.tenant()));
			blockMembers.sort(Comparator.comparing(member -> !member.type().equals(PatientCompartment.PATIENT)));
			jobContext.putString(BLOCK_MEMBERS, ExportFilter.listToJson(blockMembers));
		}
		jobContext.putString(PLAN, ExportFilter.listToJson(plan));
		if (request.allowPartialManifests()) {
			jobContext.putString(PARTIAL_MANIFESTS, "true");
		}
		DeidentifiedLines.plan(jobContext, request, job.transactionTime());
		table.planTotals(jobId, totals);
		return RepeatStatus.FINISHED;
	}

	/**
	 * A type of more than {@code partitionSize} resources as key ranges of about equal counts (the boundaries are
	 * the keys at every n-th resource the filter selects now), so that several workers share it; each range writes
	 * its own part files. Otherwise the filter itself. Resources written later still fall in some range: the first
	 * and last ranges are open.
	 */
	private List<ExportFilter> keyRanges(ExportFilter filter, long count) {
		if (filter.deleted() || count <= partitionSize) {
			return List.of(filter);
		}
		long ranges = (count + partitionSize - 1) / partitionSize;
		List<ExportFilter> split = new ArrayList<>();
		Long after = null;
		for (long range = 1; range < ranges; range++) {
			Long upTo = reader.keyAt(filter, range * count / ranges);
			if (upTo == null || (after != null && upTo <= after)) {
				break;
			}
			split.add(filter.withKeyRange(new ExportFilter.KeyRange(split.size() + 1, after, upTo)));
			after = upTo;
		}
		split.add(filter.withKeyRange(new ExportFilter.KeyRange(split.size() + 1, after, null)));
		return split;
	}

	/**
	 * Under which name a partition's resources count in the job's progress per type: its type, or the work
	 * that is not one type's (deletions; the blocks of patients, which hold every member type).
	 */
	static String progressType(ExportFilter filter, boolean patientBlocks) {
		return filter.deleted() ? "(deleted)" : patientBlocks ? "(patient blocks)" : filter.type();
	}

	/**
	 * The Group's and patients' keys, as the kick-off resolved them; a row written before the kick-off kept them
	 * (a job submitted before an upgrade) has them resolved here.
	 */
	private ExportScope scope(ExportRequest request) {
		if (request.level() == ExportLevel.SYSTEM) {
			return ExportScope.NONE;
		}
		return request.scope() != null ? request.scope() : scopeResolver.resolve(request, false);
	}

	/** The patients whose blocks are written: every patient, or the level's, whatever their lastUpdated. */
	private static ExportFilter patientsInScope(ExportRequest request, ExportScope scope) {
		boolean inCompartment = request.level() != ExportLevel.SYSTEM;
		return new ExportFilter(PatientCompartment.PATIENT, false, List.of(), null, null, inCompartment, List.of(),
				scope.groupPid(), scope.patientPids(), List.of(), null, false, false);
	}

	/** A type's filter as one patient's block reads it: its own conditions, the patient's compartment paths. */
	private ExportFilter blockMember(ExportFilter filter) {
		return new ExportFilter(filter.type(), false, List.of(), filter.since(), filter.until(), false,
				compartment.paths(filter.type()), null, List.of(), filter.elements(), filter.matchesOfJob(),
				filter.latestOnly(), false).withTenant(filter.tenant());
	}

	/**
	 * The worker partitions of the plan, by name, each with its starting cursor (and, for patient
	 * blocks, what a block holds; for partial manifests, the switch that records finished files; for a
	 * de-identified export, its stage).
	 */
	static Map<String, ExecutionContext> partitions(JobExecution jobExecution) {
		String jobId = jobExecution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
		ExecutionContext jobContext = jobExecution.getExecutionContext();
		List<ExportFilter> blockMembers = blockMembers(jobContext);
		Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
		for (ExportFilter filter : plan(jobContext)) {
			ExecutionContext context = ExportCursor.start(jobId, filter).toContext();
			if (!blockMembers.isEmpty() && !filter.deleted()) {
				PatientBlockExporter.writeMembers(context, blockMembers);
			}
			if (jobContext.containsKey(PARTIAL_MANIFESTS)) {
				FinishedFiles.turnOn(context);
			}
			DeidentifiedLines.copy(jobContext, context);
			partitions.put(filter.partitionName(), context);
		}
		return partitions;
	}

	static List<ExportFilter> blockMembers(ExecutionContext jobContext) {
		return jobContext.containsKey(BLOCK_MEMBERS) ? ExportFilter.listFromJson(jobContext.getString(BLOCK_MEMBERS))
				: List.of();
	}

	/**
	 * @param transactionTime the export's upper bound, like an implicit {@code _until}: nothing changed
	 *                        after it is exported ({@link WriteSettleListener} has made sure that
	 *                        everything stamped before it has committed)
	 */
	private List<ExportFilter> filters(String jobId, ExportRequest request, ExportScope scope, Instant transactionTime) {
		boolean inCompartment = request.level() != ExportLevel.SYSTEM;
		Long since = millis(request.since());
		Long until = request.until() == null || request.until().isAfter(transactionTime) ? millis(transactionTime)
				: millis(request.until());
		// Without _type, never the audit trail: it is no one's data, and only an auditor may read it (_type=AuditEvent).
		List<String> types = new ArrayList<>(request.types().isEmpty()
				? reader.typesPresent(request.tenant()).stream()
						.filter(type -> !type.equals(ScopeSet.AUDIT_TYPE))
						.filter(type -> compartment.contains(type)
								|| (!request.patientBlocks() && (!inCompartment || includeReferencedResources)))
						.toList()
				: request.types());
		// includeAssociatedData asks for Provenance whatever _type lists.
		if (!request.associatedData().isEmpty() && !types.contains(StoredResourceReader.PROVENANCE)) {
			types.add(StoredResourceReader.PROVENANCE);
		}
		// A Group's or listed patients' compartments are found once, from the patients (see CompartmentScope).
		boolean scoped = inCompartment && (scope.groupPid() != null || !scope.patientPids().isEmpty());
		if (scoped) {
			compartmentScope.record(jobId, scope.groupPid(), scope.patientPids(),
					types.stream().filter(type -> !compartment.contains(type)).toList());
		}
		List<ExportFilter> filters = new ArrayList<>();
		for (String type : types) {
			List<String> queries = request.typeFilters().stream()
					.filter(query -> TypeFilters.typeOf(query).equals(type))
					.toList();
			if (!queries.isEmpty()) {
				typeFilterMatches.record(jobId, type, queries, request.tenant());
			}
			// Provenance follows its targets: all Provenance of the compartment's resources (the IG's default
			// without includeAssociatedData); a type outside the compartment follows what references it.
			// Both need every compartment path.
			boolean referenced = inCompartment && !compartment.contains(type);
			List<String> paths = type.equals(StoredResourceReader.PROVENANCE) || referenced ? compartment.allPaths()
					: compartment.paths(type);
			ExportFilter filter = new ExportFilter(type, false, List.of(), since, until, inCompartment,
					paths, scope.groupPid(), scope.patientPids(),
					ElementsSubsetter.keptNames(fhirContext, type, request.elements()), queries.isEmpty() ? null : jobId,
					type.equals(StoredResourceReader.PROVENANCE) && request.latestProvenanceOnly(), referenced);
			filters.add(scoped ? filter.withScopeOf(jobId) : filter);
		}
		if (since != null) {
			// At Patient and Group level: deletions of compartment types, of the exported patients' compartments.
			List<String> deletedTypes = !inCompartment ? request.types()
					: request.types().isEmpty()
							? compartment.types().stream().filter(type -> !type.equals(ScopeSet.AUDIT_TYPE)).toList()
					: request.types().stream().filter(compartment::contains).toList();
			if (!inCompartment || !deletedTypes.isEmpty()) {
				filters.add(new ExportFilter("Bundle", true, deletedTypes, since, until, inCompartment,
						inCompartment ? compartment.allPaths() : List.of(), scope.groupPid(), scope.patientPids(), List.of(),
						null, false, false));
			}
		}
		return filters;
	}

	static List<ExportFilter> plan(ExecutionContext jobContext) {
		return ExportFilter.listFromJson(jobContext.getString(PLAN, "[]"));
	}

	private static Long millis(Instant instant) {
		return instant == null ? null : instant.toEpochMilli();
	}
}
