package hapibulk.support.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.ExtensionUtil;
import ca.uhn.fhir.util.FhirTerser;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseExtension;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

import java.util.List;

/**
 * Reads and edits a resource of any FHIR version by element names, through HAPI's terser: for what the
 * extension writes into the host's CapabilityStatement, whose elements R4, R4B and R5 name alike.
 */
public final class FhirElements {

	private final FhirContext fhirContext;
	private final FhirTerser terser;

	private FhirElements(FhirContext fhirContext) {
		this.fhirContext = fhirContext;
		this.terser = fhirContext.newTerser();
	}

	/** For resources of the given one's version. */
	public static FhirElements of(IBaseResource resource) {
		return new FhirElements(FhirContext.forCached(resource.getStructureFhirVersionEnum()));
	}

	/** The children called {@code name}, in order (none: empty). */
	public List<IBase> all(IBase parent, String name) {
		return terser.getValues(parent, name);
	}

	/** The first child called {@code name}, added when there is none. */
	public IBase first(IBase parent, String name) {
		List<IBase> children = all(parent, name);
		return children.isEmpty() ? add(parent, name) : children.get(0);
	}

	/** The first {@code rest} of a CapabilityStatement, added (mode server) when there is none. */
	public IBase serverRest(IBaseResource capabilityStatement) {
		List<IBase> rests = all(capabilityStatement, "rest");
		if (!rests.isEmpty()) {
			return rests.get(0);
		}
		IBase rest = add(capabilityStatement, "rest");
		set(rest, "mode", "server");
		return rest;
	}

	/** A new child called {@code name}, after the others. */
	public IBase add(IBase parent, String name) {
		return terser.addElement(parent, name);
	}

	/** A new primitive child called {@code name} with this value, after the others. */
	public void add(IBase parent, String name, String value) {
		terser.addElement(parent, name, value);
	}

	/** The value of the primitive child {@code name} (the first, if repeated), or null. */
	public String text(IBase parent, String name) {
		return terser.getSinglePrimitiveValueOrNull(parent, name);
	}

	/** The values of the repeated primitive child {@code name}. */
	public List<String> texts(IBase parent, String name) {
		return terser.getValues(parent, name).stream()
				.map(value -> ((IPrimitiveType<?>) value).getValueAsString()).toList();
	}

	/** Sets the primitive child {@code name} (made when absent). */
	public void set(IBase parent, String name, String value) {
		terser.setElement(parent, name, value);
	}

	/** Replaces the element's extensions of {@code url} by one per value, each of the given primitive type. */
	public void setExtensions(IBase element, String url, String valueType, List<String> values) {
		ExtensionUtil.clearExtensionsByUrl(element, url);
		values.forEach(value -> ExtensionUtil.addExtension(fhirContext, element, url, valueType, value));
	}

	/** Replaces the element's extensions of {@code url} by one holding this extension (complex extension). */
	public IBaseExtension<?, ?> replaceExtension(IBase element, String url) {
		ExtensionUtil.clearExtensionsByUrl(element, url);
		return ExtensionUtil.addExtension(element, url);
	}

	/** Adds to {@code extension} an extension {@code url} of this primitive type and value. */
	public void addExtension(IBase extension, String url, String valueType, String value) {
		ExtensionUtil.addExtension(fhirContext, extension, url, valueType, value);
	}
}
