package hapibulk.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.context.ConfigurationPropertiesAutoConfiguration;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.context.properties.bind.Name;

import java.io.IOException;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The IDE metadata that Boot's configuration processor writes at build time
 * (target/classes/META-INF/spring-configuration-metadata.json) against what the code binds: every
 * property reachable from {@link BulkProperties} (records nest; a list is one property), each with a
 * description and the default its {@code @DefaultValue} gives. And docs/configuration.md lists exactly
 * those properties, a list of records as one row per element setting ({@code clients[n].client-id}).
 */
class ConfigurationMetadataTest {

	private static final Path METADATA = Path.of("target", "classes", "META-INF", "spring-configuration-metadata.json");
	private static final Path CONFIGURATION_DOC = Path.of("..", "docs", "configuration.md");
	private static final Pattern DOC_ROW = Pattern.compile("^\\| `(hapi\\.bulk\\.[^`]+)` \\|");

	/** Name → the record component the code binds it to. */
	private static final Map<String, RecordComponent> BOUND = new TreeMap<>();
	private static Map<String, JsonNode> metadata;

	@BeforeAll
	static void readBothSides() throws IOException {
		bound(BulkProperties.PREFIX, BulkProperties.class);
		metadata = new LinkedHashMap<>();
		for (JsonNode property : new ObjectMapper().readTree(METADATA.toFile()).path("properties")) {
			metadata.put(property.path("name").asText(), property);
		}
	}

	@Test
	void everyBoundProperty_hasMetadata_andNothingElseDoes() {
		// given the properties the code binds and those the metadata describes
		// then they are the same
		assertThat(metadata.keySet()).containsExactlyInAnyOrderElementsOf(BOUND.keySet());
	}

	@Test
	void everyProperty_hasAPlainDescription() {
		// given each property's metadata
		for (String name : BOUND.keySet()) {
			String description = metadata.get(name).path("description").asText("");

			// then an IDE can show its description as it is (no Javadoc markup, no sentence fragment)
			assertThat(description).as(name).isNotBlank().doesNotContain("{@").doesNotStartWith("...");
		}
	}

	@Test
	void everyDefaultValue_isInTheMetadata() {
		// given each bound component that declares a default value
		int checked = 0;
		for (Map.Entry<String, RecordComponent> bound : BOUND.entrySet()) {
			DefaultValue declared = parameter(bound.getValue()).getAnnotation(DefaultValue.class);
			if (declared == null || declared.value().length == 0) {
				continue;
			}
			// then the metadata gives it
			assertThat(metadata.get(bound.getKey()).path("defaultValue").asText()).as(bound.getKey())
					.isEqualTo(String.join(",", declared.value()));
			checked++;
		}
		assertThat(checked).as("defaults compared").isGreaterThan(40);
	}

	@Test
	void configurationDocument_listsExactlyTheBoundProperties() throws IOException {
		// given the property rows of docs/configuration.md
		Set<String> documented = new TreeSet<>();
		for (String line : Files.readAllLines(CONFIGURATION_DOC)) {
			Matcher row = DOC_ROW.matcher(line);
			if (row.find()) {
				assertThat(documented.add(row.group(1))).as("documented twice: " + row.group(1)).isTrue();
			}
		}
		// and the names a user sets: a list of records as its element settings
		Set<String> settable = new TreeSet<>();
		BOUND.forEach((name, component) -> {
			Class<?> element = listElement(component);
			if (element != null && element.isRecord()) {
				for (RecordComponent part : element.getRecordComponents()) {
					settable.add(name + "[n]." + kebab(part));
				}
			} else {
				settable.add(name);
			}
		});

		// then they are the same
		assertThat(documented).as("docs/configuration.md").containsExactlyInAnyOrderElementsOf(settable);
	}

	@Test
	void annotationForTheProcessor_leavesTheBoundValueAlone_inABootContext() {
		// given Boot's @ConfigurationProperties post-processor, and BulkProperties made as BulkConfiguration makes it
		new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(ConfigurationPropertiesAutoConfiguration.class))
				.withUserConfiguration(BoundLikeBulkConfiguration.class)
				.withPropertyValues("hapi.bulk.retention=48h", "hapi.bulk.import.chunk-size=7")
				// when the context starts
				.run(context -> {
					// then it starts, and the bean holds what the Binder bound
					assertThat(context).hasNotFailed();
					BulkProperties properties = context.getBean(BulkProperties.class);
					assertThat(properties.retention()).isEqualTo(Duration.ofHours(48));
					assertThat(properties.imports().chunkSize()).isEqualTo(7);
				});
	}

	@Configuration(proxyBeanMethods = false)
	static class BoundLikeBulkConfiguration {

		@Bean
		BulkProperties hapiBulkProperties(Environment environment) {
			return Binder.get(environment).bindOrCreate(BulkProperties.PREFIX, BulkProperties.class);
		}
	}

	private static void bound(String prefix, Class<?> type) {
		for (RecordComponent component : type.getRecordComponents()) {
			String name = prefix + "." + kebab(component);
			if (component.getType().isRecord()) {
				bound(name, component.getType());
			} else {
				BOUND.put(name, component);
			}
		}
	}

	private static Class<?> listElement(RecordComponent component) {
		if (component.getType() == List.class && component.getGenericType() instanceof ParameterizedType list
				&& list.getActualTypeArguments()[0] instanceof Class<?> element) {
			return element;
		}
		return null;
	}

	private static String kebab(RecordComponent component) {
		Name name = parameter(component).getAnnotation(Name.class);
		return name != null ? name.value() : component.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
	}

	/** The canonical constructor's parameter of a component: where the binder reads @Name and @DefaultValue. */
	private static Parameter parameter(RecordComponent component) {
		RecordComponent[] components = component.getDeclaringRecord().getRecordComponents();
		Class<?>[] types = new Class<?>[components.length];
		int index = -1;
		for (int i = 0; i < components.length; i++) {
			types[i] = components[i].getType();
			if (components[i].getName().equals(component.getName())) {
				index = i;
			}
		}
		try {
			return component.getDeclaringRecord().getDeclaredConstructor(types).getParameters()[index];
		} catch (NoSuchMethodException e) {
			throw new IllegalStateException(e);
		}
	}
}
