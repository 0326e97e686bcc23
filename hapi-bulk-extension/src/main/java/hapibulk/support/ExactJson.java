package hapibulk.support;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/** A Jackson mapper whose trees keep FHIR decimals exactly as written ({@code 70.50} stays {@code 70.50}). */
public final class ExactJson {

	public static final ObjectMapper MAPPER = new ObjectMapper()
			.setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
			.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

	private ExactJson() {}
}
