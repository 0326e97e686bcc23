package hapibulk.export;

import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

import java.util.Date;
import java.util.List;

/** The kick-off parameters as HAPI bound them, before validation. Any may be null. */
public record ExportParameters(
		IPrimitiveType<String> outputFormat,
		List<IPrimitiveType<String>> types,
		IPrimitiveType<Date> since,
		IPrimitiveType<Date> until,
		List<IBaseReference> patients,
		List<IPrimitiveType<String>> elements,
		List<IPrimitiveType<String>> typeFilters,
		List<IPrimitiveType<String>> associatedData,
		IPrimitiveType<String> organizeOutputBy,
		IPrimitiveType<Boolean> allowPartialManifests,
		IPrimitiveType<String> anonymizationConfig) {}
