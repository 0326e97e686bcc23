package hapibulk.imports.job;

import org.hl7.fhir.instance.model.api.IBaseResource;

import java.util.List;

/**
 * A chunk write that failed after some of its slices had committed: {@code written} are the
 * resources those slices stored, so that the line-by-line retry counts them instead of writing them
 * again (which an import that may not update would refuse as a change).
 */
class PartlyWrittenException extends RuntimeException {

	private final transient List<IBaseResource> written;

	PartlyWrittenException(RuntimeException cause, List<IBaseResource> written) {
		super(cause.getMessage(), cause);
		this.written = List.copyOf(written);
	}

	List<IBaseResource> written() {
		return written;
	}
}
