package hapibulk.support.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

import java.util.List;

/**
 * One {@code Parameters.parameter} (or part) of any FHIR version, read through the context's terser: the
 * {@code $export} and {@code $import} bodies have the same shape in R4, R4B and R5.
 *
 * @param name     the name, or null when the parameter has none
 * @param value    a primitive {@code value[x]} as text (valueString, valueUri, valueCode, ...), else null
 * @param hasValue whether the parameter has a {@code value[x]} at all (primitive or not)
 * @param parts    its {@code part}s
 */
public record FhirParameter(String name, String value, boolean hasValue, List<FhirParameter> parts) {

	/** The parameters of a {@code Parameters} resource of the context's version. */
	public static List<FhirParameter> of(FhirContext fhirContext, IBaseResource parameters) {
		return read(fhirContext.newTerser(), fhirContext.newTerser().getValues(parameters, "parameter"));
	}

	private static List<FhirParameter> read(FhirTerser terser, List<IBase> elements) {
		return elements.stream().map(element -> {
			IBase value = terser.getSingleValueOrNull(element, "value[x]", IBase.class);
			return new FhirParameter(terser.getSinglePrimitiveValueOrNull(element, "name"),
					value instanceof IPrimitiveType<?> primitive ? primitive.getValueAsString() : null, value != null,
					read(terser, terser.getValues(element, "part")));
		}).toList();
	}

	/** The primitive value of the first part named {@code partName}, else null. */
	public String part(String partName) {
		return parts.stream().filter(part -> partName.equals(part.name())).findFirst().map(FhirParameter::value)
				.orElse(null);
	}
}
