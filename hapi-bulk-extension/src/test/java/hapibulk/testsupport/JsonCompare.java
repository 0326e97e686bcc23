package hapibulk.testsupport;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** JSON trees for comparing resources: exact decimals, and meta's lists in a stable order. */
public final class JsonCompare {

	private static final ObjectMapper MAPPER = new ObjectMapper()
			.setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
			.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

	private JsonCompare() {}

	public static ObjectNode tree(String json) {
		try {
			return (ObjectNode) MAPPER.readTree(json);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** The resource with meta's profile, security and tag lists sorted (their order carries no meaning). */
	public static ObjectNode normalized(String json) {
		ObjectNode tree = tree(json);
		if (tree.get("meta") instanceof ObjectNode meta) {
			for (String list : List.of("profile", "security", "tag")) {
				if (meta.get(list) instanceof ArrayNode array) {
					List<JsonNode> items = new ArrayList<>();
					array.forEach(items::add);
					items.sort(Comparator.comparing(JsonNode::toString));
					meta.set(list, MAPPER.createArrayNode().addAll(items));
				}
			}
		}
		return tree;
	}

	public static ObjectNode withoutMeta(String json) {
		ObjectNode tree = tree(json);
		tree.remove("meta");
		return tree;
	}
}
