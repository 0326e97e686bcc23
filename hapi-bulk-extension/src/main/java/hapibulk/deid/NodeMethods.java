package hapibulk.deid;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.fhirpath.IFhirPath;
import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.deid.ResourceTree.Node;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseXhtml;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * What each method does to one element (the {@link Anonymizer} walks the elements). A method that has nothing to do
 * with an element (dateShift on a string, a complex element's own value) returns null and changes nothing; its
 * children are visited in turn.
 */
final class NodeMethods {

	private static final Set<String> INTEGERS = Set.of("integer", "positiveInt", "unsignedInt", "integer64");
	private static final Set<String> QUANTITIES = Set.of("Quantity", "SimpleQuantity", "Age", "Duration", "Count",
			"Distance", "Money", "MoneyQuantity");
	/** The first three digits are kept, unless the area is restricted (000). */
	private static final int ZIP_DIGITS = 3;
	private static final BigDecimal AGE_CATEGORY = BigDecimal.valueOf(90);

	private final FhirContext fhirContext;
	private final IFhirPath fhirPath;
	private final DeidParameters parameters;
	private final DeidKeys.Session keys;
	private final LocalDate today;
	private final Set<String> resourceTypes;
	private final ResourceTree tree;
	private final Supplier<String> shiftPrefix;
	private final String resourceKey;
	private Integer shiftDays;

	/**
	 * @param shiftPrefix what the dateShift offset is derived from (the scope's id)
	 * @param resourceKey type and id of the resource before any change (perturb's noise is derived from it)
	 */
	NodeMethods(FhirContext fhirContext, IFhirPath fhirPath, DeidParameters parameters, DeidKeys.Session keys,
			LocalDate today, Set<String> resourceTypes, ResourceTree tree, Supplier<String> shiftPrefix,
			String resourceKey) {
		this.fhirContext = fhirContext;
		this.fhirPath = fhirPath;
		this.parameters = parameters;
		this.keys = keys;
		this.today = today;
		this.resourceTypes = resourceTypes;
		this.tree = tree;
		this.shiftPrefix = shiftPrefix;
		this.resourceKey = resourceKey;
	}

	SecurityLabel redact(Node node) {
		boolean partial = DateValues.isDateType(node.type()) || node.is("Age", "value") && parameters.partialAges()
				|| node.is("Address", "postalCode") && parameters.partialZipCodes();
		if (!partial) {
			if (!hasText(node)) {
				return null;
			}
			clear(node);
			return SecurityLabel.REDACTED;
		}
		String value = text(node);
		if (value == null) {
			return null;
		}
		if (DateValues.isDateType(node.type())) {
			return setOrClear(node, DateValues.redact(value, node.type(), parameters.partialDates(), today));
		}
		if (node.is("Age", "value") && parameters.partialAges()) {
			return foldAge(node, value);
		}
		if (node.is("Address", "postalCode") && parameters.partialZipCodes()) {
			primitive(node).setValueAsString(zipArea(value));
			return SecurityLabel.ABSTRED;
		}
		clear(node);
		return SecurityLabel.REDACTED;
	}

	/** Ages up to 89 stay; older ones become the category "90 or more" (Safe Harbor allows that aggregate). */
	private SecurityLabel foldAge(Node node, String value) {
		if (new BigDecimal(value).compareTo(BigDecimal.valueOf(DateValues.AGE_THRESHOLD)) <= 0) {
			return null;
		}
		primitive(node).setValueAsString(AGE_CATEGORY.toPlainString());
		fhirContext.newTerser().setElement(node.parent().value(), "comparator", ">=");
		return SecurityLabel.ABSTRED;
	}

	/** The first three characters of a postal code, or 000 for a restricted three-digit area. */
	private String zipArea(String value) {
		String area = value.length() < ZIP_DIGITS ? value : value.substring(0, ZIP_DIGITS);
		return parameters.restrictedZipCodes().stream().anyMatch(value::startsWith) ? "0".repeat(area.length()) : area;
	}

	SecurityLabel dateShift(Node node) {
		String value = text(node);
		if (value == null || !DateValues.isDateType(node.type())) {
			return null;
		}
		if (!DateValues.shiftable(value, today)) {
			return setOrClear(node, DateValues.redact(value, node.type(), parameters.partialDates(), today));
		}
		if (shiftDays == null) {
			shiftDays = keys.dateShiftDays(shiftPrefix.get());
		}
		primitive(node).setValueAsString(DateValues.shift(value, shiftDays));
		return SecurityLabel.PERTURBED;
	}

	SecurityLabel cryptoHash(Node node) {
		return transform(node, keys::cryptoHash, SecurityLabel.CRYTOHASH);
	}

	SecurityLabel encrypt(Node node) {
		return transform(node, keys::encrypt, SecurityLabel.ENCRYPT);
	}

	/** A value changed whole, except an id (its id part) and a reference (the id it points at). */
	private SecurityLabel transform(Node node, UnaryOperator<String> change, SecurityLabel label) {
		String value = text(node);
		if (value == null) {
			return null;
		}
		if (node.value() instanceof IIdType id) {
			id.setValue(change.apply(id.getIdPart()));
		} else if (node.is("Reference", "reference")) {
			primitive(node).setValueAsString(ReferenceIds.transform(value, change, resourceTypes));
		} else {
			primitive(node).setValueAsString(change.apply(value));
		}
		return label;
	}

	SecurityLabel generalize(DeidRule.Options options, Node node) {
		if (!node.isPrimitive()) {
			throw new IllegalArgumentException("generalize applies to primitive elements only");
		}
		if (text(node) == null) {
			return null;
		}
		for (DeidRule.Case generalization : options.cases()) {
			if (isTrue(fhirPath.evaluate(node.value(), generalization.when(), IBase.class))) {
				List<IBase> result = fhirPath.evaluate(node.value(), generalization.then(), IBase.class);
				if (result.isEmpty() || !(result.get(0) instanceof IPrimitiveType<?> replacement)) {
					clear(node);
				} else {
					primitive(node).setValueAsString(replacement.getValueAsString());
				}
				return SecurityLabel.GENERALIZED;
			}
		}
		if (options.redactOthers()) {
			clear(node);
		}
		return SecurityLabel.GENERALIZED;
	}

	private static boolean isTrue(List<IBase> result) {
		return result.size() == 1 && result.get(0) instanceof IPrimitiveType<?> value
				&& Boolean.TRUE.equals(value.getValue());
	}

	/**
	 * Noise uniform over [-span/2, span/2] (times the value when proportional), rounded to roundTo places (0 for
	 * integers, else 2 by default); a positiveInt stays at least 1, an unsignedInt at least 0. Null when the element
	 * is neither a number nor a quantity with a value: then its children are visited.
	 */
	SecurityLabel perturb(DeidRule.Options options, Node node) {
		Node target = QUANTITIES.contains(node.type()) ? node.children().stream()
				.filter(child -> child.name().equals("value")).findFirst().orElse(null)
				: INTEGERS.contains(node.type()) || node.type().equals("decimal") ? node : null;
		String value = target == null ? null : text(target);
		if (value == null) {
			return null;
		}
		BigDecimal original = new BigDecimal(value);
		double span = options.proportional() ? original.doubleValue() * options.span() : options.span();
		double noise = (keys.unit(resourceKey + "#" + target.ordinal() + "=" + value) - 0.5) * span;
		boolean integer = INTEGERS.contains(target.type());
		int places = integer ? 0 : options.roundTo() != null ? options.roundTo() : 2;
		BigDecimal result = original.add(BigDecimal.valueOf(noise)).setScale(places, RoundingMode.HALF_EVEN);
		if (target.type().equals("positiveInt") && result.signum() <= 0) {
			result = BigDecimal.ONE;
		} else if (target.type().equals("unsignedInt") && result.signum() < 0) {
			result = BigDecimal.ZERO;
		}
		primitive(target).setValueAsString(integer ? result.toBigInteger().toString() : result.toPlainString());
		return SecurityLabel.PERTURBED;
	}

	SecurityLabel substitute(DeidRule.Options options, Node node) {
		JsonNode replaceWith = options.replaceWith();
		if (node.isPrimitive()) {
			if (replaceWith == null) {
				clear(node);
			} else {
				primitive(node).setValueAsString(replaceWith.isValueNode() ? replaceWith.asText() : replaceWith.toString());
			}
			return SecurityLabel.SUBSTITUTED;
		}
		IBase replacement = Substitution.parse(fhirContext, node.type(), replaceWith);
		clearUndecided(node);
		fhirContext.newTerser().cloneInto(replacement, node.value(), true);
		return SecurityLabel.SUBSTITUTED;
	}

	/** Empties everything below a substituted element that no earlier rule decided. */
	private void clearUndecided(Node node) {
		for (Node child : node.children()) {
			if (child.isDecided()) {
				continue;
			}
			if (child.isPrimitive()) {
				clear(child);
			}
			clearUndecided(child);
		}
	}

	private SecurityLabel setOrClear(Node node, String value) {
		if (value == null) {
			clear(node);
		} else {
			primitive(node).setValueAsString(value);
		}
		return SecurityLabel.REDACTED;
	}

	/** A primitive's value removed (its extensions stay until redacted themselves); narrative is removed whole. */
	private void clear(Node node) {
		if (node.value() instanceof IBaseXhtml) {
			tree.remove(node);
		} else if (node.value() instanceof IPrimitiveType<?> primitive) {
			primitive.setValue(null);
		}
	}

	/**
	 * Whether {@link #text} would give a value, without encoding binary data (base64 of an attachment or photo) only
	 * to look at its length.
	 */
	private static boolean hasText(Node node) {
		if (node.value() instanceof IPrimitiveType<?> primitive && primitive.getValue() instanceof byte[] bytes) {
			return bytes.length > 0;
		}
		return text(node) != null;
	}

	private static String text(Node node) {
		if (!(node.value() instanceof IPrimitiveType<?> primitive)) {
			return null;
		}
		String value = primitive.getValueAsString();
		return value == null || value.isEmpty() ? null : value;
	}

	private static IPrimitiveType<?> primitive(Node node) {
		return (IPrimitiveType<?>) node.value();
	}
}
