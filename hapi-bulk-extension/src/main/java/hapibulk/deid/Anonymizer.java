package hapibulk.deid;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.fhirpath.IFhirPath;
import hapibulk.deid.DeidParameters.DateShiftScope;
import hapibulk.deid.ResourceTree.Node;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseCoding;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

import java.time.LocalDate;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Applies a profile to parsed resources, the anonymizer's way: rules in order; each rule's path selects elements;
 * its method is applied to each selected element and everything below it, except what an earlier rule already
 * decided (a kept element stays kept); elements left empty are removed; the resource gets a {@code meta.security}
 * label for each kind of change. A resource inside another (contained, a Bundle entry) gets the same treatment with
 * its own type's rules. Elements no rule selects are kept as they are.
 * <p>
 * A pure function of the resource, the profile, its keys and {@code today} (which decides "over 89"), so that a
 * restarted or repeated export writes the same bytes. One instance per thread.
 */
final class Anonymizer {

	private final FhirContext fhirContext;
	private final IFhirPath fhirPath;
	private final DeidProfile profile;
	private final DeidKeys.Session keys;
	private final LocalDate today;
	private final Set<String> resourceTypes;
	/** The rules that can select anything in a resource of a type, by type (at most one entry per type). */
	private final Map<String, List<DeidRule>> rulesByType = new HashMap<>();
	/** The element types and names the profile's nodesByType / nodesByName start from: all a tree indexes. */
	private final Set<String> indexedTypes = new HashSet<>();
	private final Set<String> indexedNames = new HashSet<>();
	/** Whether dates shift by patient: then each resource's patient is looked up (it costs a FHIRPath walk). */
	private final boolean needsPatient;

	Anonymizer(FhirContext fhirContext, IFhirPath fhirPath, DeidProfile profile, LocalDate today) {
		this.fhirContext = fhirContext;
		this.fhirPath = fhirPath;
		this.profile = profile;
		this.keys = profile.keys().session();
		this.today = today;
		this.resourceTypes = fhirContext.getResourceTypes();
		profile.rules().forEach(rule -> rule.compiled().collectIndexKeys(indexedTypes, indexedNames));
		this.needsPatient = profile.parameters().dateShiftScope() == DateShiftScope.PATIENT
				&& profile.rules().stream().anyMatch(rule -> rule.method() == DeidMethod.DATE_SHIFT);
	}

	DeidProfile profile() {
		return profile;
	}

	/**
	 * De-identifies the resource in place.
	 *
	 * @return the kinds of change made (also written to {@code meta.security})
	 * @throws DeidProcessingException when a rule cannot be applied to an element it selects
	 */
	Set<SecurityLabel> anonymize(IBaseResource resource) {
		return process(resource, null, true);
	}

	/** The id a resource of {@code type} with id {@code id} has after the profile (null when it is removed). */
	String pseudonymousId(String type, String id) {
		IBaseResource resource = fhirContext.getResourceDefinition(type).newInstance();
		resource.setId(id);
		process(resource, null, false);
		IIdType result = resource.getIdElement();
		return result == null || !result.hasIdPart() ? null : result.getIdPart();
	}

	private Set<SecurityLabel> process(IBaseResource resource, String outerPatient, boolean label) {
		ResourceTree tree = new ResourceTree(fhirContext, resource, indexedTypes, indexedNames);
		// Before any rule runs: the patient's id as it was (a rule may hash it).
		String patient = outerPatient != null ? outerPatient : needsPatient ? patientOf(resource) : null;
		Run run = new Run(tree, resource.getIdElement().getIdPart(), patient);
		for (DeidRule rule : rulesFor(tree.root().type())) {
			for (Node node : rule.compiled().select(tree, fhirPath)) {
				run.apply(rule, node);
			}
		}
		for (IBaseResource inner : tree.nested()) {
			run.labels.addAll(process(inner, patient, !tree.isContained(inner)));
		}
		tree.prune();
		if (label) {
			addLabels(resource, run.labels);
		}
		return run.labels;
	}

	private List<DeidRule> rulesFor(String type) {
		return rulesByType.computeIfAbsent(type, key -> profile.rules().stream()
				.filter(rule -> rule.compiled().mayApplyTo(key)).toList());
	}

	/** The patient whose compartment holds the resource (the first by id), or null; a Patient is its own. */
	private String patientOf(IBaseResource resource) {
		if (resource == null || !resource.getIdElement().hasIdPart()) {
			return null;
		}
		if (fhirContext.getResourceType(resource).equals("Patient")) {
			return resource.getIdElement().getIdPart();
		}
		try {
			return fhirContext.newTerser().getCompartmentOwnersForResource("Patient", resource, Set.of()).stream()
					.map(IIdType::getIdPart).filter(id -> id != null).min(Comparator.naturalOrder()).orElse(null);
		} catch (RuntimeException e) {
			return null;
		}
	}

	private static void addLabels(IBaseResource resource, Set<SecurityLabel> labels) {
		for (SecurityLabel label : labels) {
			List<? extends IBaseCoding> present = resource.getMeta().getSecurity();
			if (present.stream().noneMatch(c -> label.name().equalsIgnoreCase(c.getCode()))) {
				resource.getMeta().addSecurity().setSystem(SecurityLabel.SYSTEM).setCode(label.name())
						.setDisplay(label.display());
			}
		}
	}

	/** One resource's pass: what was decided, and the labels earned. */
	private final class Run {
		private final ResourceTree tree;
		private final Set<SecurityLabel> labels = EnumSet.noneOf(SecurityLabel.class);
		private final NodeMethods methods;

		Run(ResourceTree tree, String originalId, String patient) {
			this.tree = tree;
			String type = tree.root().type();
			Supplier<String> shiftPrefix = () -> {
				String prefix = switch (profile.parameters().dateShiftScope()) {
					case RESOURCE -> originalId;
					case PATIENT -> patient != null ? patient : originalId;
					case FILE -> type;
					case FOLDER -> "";
				};
				return prefix == null ? "" : prefix;
			};
			this.methods = new NodeMethods(fhirContext, fhirPath, profile.parameters(), keys, today, resourceTypes, tree,
					shiftPrefix, type + "/" + originalId);
		}

		void apply(DeidRule rule, Node node) {
			if (!node.decide()) {
				return;
			}
			SecurityLabel label;
			try {
				label = switch (rule.method()) {
					case KEEP -> null;
					case REDACT -> methods.redact(node);
					case DATE_SHIFT -> methods.dateShift(node);
					case CRYPTO_HASH -> methods.cryptoHash(node);
					case ENCRYPT -> methods.encrypt(node);
					case GENERALIZE -> methods.generalize(rule.options(), node);
					case PERTURB -> methods.perturb(rule.options(), node);
					case SUBSTITUTE -> methods.substitute(rule.options(), node);
				};
			} catch (RuntimeException e) {
				throw new DeidProcessingException(rule.describe() + " cannot be applied to " + node.type() + " element '"
						+ node.name() + "': " + e.getMessage(), e);
			}
			if (label != null) {
				labels.add(label);
			}
			if (rule.method() == DeidMethod.SUBSTITUTE || (rule.method() == DeidMethod.PERTURB && label != null)) {
				// The whole element was replaced: nothing below it is decided again.
				markDecided(node);
				return;
			}
			for (Node child : node.children()) {
				apply(rule, child);
			}
		}

		private void markDecided(Node node) {
			for (Node child : node.children()) {
				child.decide();
				markDecided(child);
			}
		}
	}
}
