package hapibulk.deid;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.BulkErrors;
import hapibulk.support.BulkJson;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * One thread's de-identification of NDJSON lines with one profile: each line is parsed into HAPI's model, run
 * through the profile and encoded again. Not thread-safe (parser, FHIRPath engine and MACs are per thread).
 */
public final class DeidSession {

	private final FhirContext fhirContext;
	private final Anonymizer anonymizer;
	private final IParser parser;

	DeidSession(FhirContext fhirContext, Anonymizer anonymizer) {
		this.fhirContext = fhirContext;
		this.anonymizer = anonymizer;
		this.parser = fhirContext.newJsonParser();
	}

	/**
	 * One resource as an NDJSON line (UTF-8, newline included), de-identified, as a line. A resource the profile
	 * cannot be applied to fails the export ({@code processingErrors: raise}), or is written as a resource of its
	 * type with nothing but a REDACTED label ({@code skip}).
	 */
	public byte[] line(byte[] line) {
		IBaseResource resource;
		String type = "resource";
		try {
			resource = parser.parseResource(new String(line, StandardCharsets.UTF_8));
			type = fhirContext.getResourceType(resource);
			anonymizer.anonymize(resource);
		} catch (DeidProcessingException | DataFormatException e) {
			if (!anonymizer.profile().skipOnError()) {
				// Type and rule only: the resource's own id is not de-identified yet, so it stays out of the message.
				throw new IllegalStateException(BulkErrors.code(918) + "De-identification profile '"
						+ anonymizer.profile().name() + "' cannot de-identify a " + type + " (processingErrors: raise): "
						+ (e instanceof DeidProcessingException ? e.getMessage() : "it does not parse"), e);
			}
			return (skipped(type.equals("resource") ? typeOf(line) : type) + "\n").getBytes(StandardCharsets.UTF_8);
		}
		return (parser.encodeResourceToString(resource) + "\n").getBytes(StandardCharsets.UTF_8);
	}

	/** The resourceType of a line HAPI could not parse, read as plain JSON ("Basic" when even that fails). */
	private String typeOf(byte[] line) {
		try {
			String type = BulkJson.MAPPER.readTree(line).path("resourceType").asText("");
			return fhirContext.getResourceTypes().contains(type) ? type : "Basic";
		} catch (java.io.IOException e) {
			return "Basic";
		}
	}

	/** The anonymizer's empty resource: the type and a REDACTED label, nothing else. */
	private static String skipped(String type) {
		ObjectNode empty = BulkJson.MAPPER.createObjectNode().put("resourceType", type);
		empty.putObject("meta").putArray("security").addObject().put("system", SecurityLabel.SYSTEM)
				.put("code", SecurityLabel.REDACTED.name()).put("display", SecurityLabel.REDACTED.display());
		return empty.toString();
	}

	/** The labels a resource gets, for callers that build resources themselves. */
	Set<SecurityLabel> anonymize(IBaseResource resource) {
		return anonymizer.anonymize(resource);
	}

	/**
	 * What the profile makes of the id {@code id} of a {@code type} (its pseudonym under cryptoHash), for ids that
	 * are written outside resources: a deletion's request URL, a patient block's header. Null when the profile
	 * removes ids.
	 */
	public String pseudonymousId(String type, String id) {
		return anonymizer.pseudonymousId(type, id);
	}

	public String profile() {
		return anonymizer.profile().name();
	}
}
