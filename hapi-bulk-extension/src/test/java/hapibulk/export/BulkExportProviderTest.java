package hapibulk.export;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HAPI 8.8 binds each {@code $export} level from its own method's annotations, so the parameter list is written
 * three times in {@link BulkExportProvider} (its class comment says why): the three lists must stay one list, the
 * one {@link ExportParameterNames} names, single-valued exactly where it says.
 */
class BulkExportProviderTest {

	@Test
	void everyLevel_bindsTheSameParameters_asExportParameterNamesNamesThem() {
		// given: each $export method's @OperationParams, as "name typeName max", by the level's type
		Map<String, List<String>> byLevel = new TreeMap<>();
		for (Method method : BulkExportProvider.class.getDeclaredMethods()) {
			Operation operation = method.getAnnotation(Operation.class);
			if (operation != null && operation.name().equals("$export")) {
				byLevel.put(operation.typeName().isEmpty() ? "system" : operation.typeName(),
						Arrays.stream(method.getParameters()).map(p -> p.getAnnotation(OperationParam.class))
								.filter(p -> p != null).map(p -> p.name() + " " + p.typeName() + " " + p.max())
								.toList());
			}
		}

		// then
		assertThat(byLevel).containsOnlyKeys("system", "Patient", "Group");
		List<String> system = byLevel.get("system");
		assertThat(byLevel.get("Patient")).isEqualTo(system);
		assertThat(byLevel.get("Group")).isEqualTo(system);
		assertThat(system.stream().map(p -> p.split(" ")[0]).toList()).isEqualTo(ExportParameterNames.ALL);
		assertThat(system.stream().filter(p -> p.endsWith(" 1")).map(p -> p.split(" ")[0]).toList())
				.isEqualTo(ExportParameterNames.SINGLE_VALUED);
		assertThat(system).allSatisfy(p -> assertThat(p).matches("\\S+ \\S+ (1|" + OperationParam.MAX_UNLIMITED + ")"));
	}

	@Test
	void multiValuedParameters_areBoundAsLists() {
		for (Method method : BulkExportProvider.class.getDeclaredMethods()) {
			for (Parameter parameter : method.getParameters()) {
				OperationParam bound = parameter.getAnnotation(OperationParam.class);
				if (bound != null) {
					assertThat(List.class.isAssignableFrom(parameter.getType())).as(method.getName() + " " + bound.name())
							.isEqualTo(bound.max() != 1);
				}
			}
		}
	}
}
