package io.bridge.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Every route file is valid against the Camel YAML DSL schema that ships in camel-yaml-dsl (the one
 * Kaoto and the VS Code Camel tooling use), and is named *.camel.yaml so that they open it as a
 * Camel integration. Camel's loader is more lenient than the schema (it takes a YAML boolean where
 * the schema wants a string); the tools are not.
 */
class RouteSchemaTest {

    static final Path ROUTES = Path.of("routes");

    @Test
    void everyRouteFileIsValidAgainstTheCamelYamlDslSchema() throws IOException {
        Schema schema;
        try (InputStream in = YamlRoutesBuilderLoader.class.getResourceAsStream("/schema/camelYamlDsl.json")) {
            assertThat(in).as("camel-yaml-dsl ships schema/camelYamlDsl.json").isNotNull();
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4).getSchema(in);
        }
        List<String> errors = new ArrayList<>();
        for (Path file : routeFiles()) {
            Object yaml;
            try (Reader reader = Files.newBufferedReader(file)) {
                yaml = new Yaml().load(reader);
            }
            JsonNode routes = new ObjectMapper().valueToTree(yaml);
            // one line per place: the type mismatch when there is one (oneOf/anyOf add many more lines)
            java.util.Map<String, String> byPlace = new java.util.TreeMap<>();
            for (Error error : schema.validate(routes)) {
                String place = file.getFileName() + " " + error.getInstanceLocation();
                if (!byPlace.containsKey(place) || error.getMessage().contains(" found, ")) {
                    byPlace.put(place, error.getMessage());
                }
            }
            byPlace.entrySet().stream().filter(e -> byPlace.keySet().stream().noneMatch(p -> p.startsWith(e.getKey() + "/")))
                    .forEach(e -> errors.add(e.getKey() + ": " + e.getValue()));
        }
        assertThat(errors).as("schema errors").isEmpty();
    }

    @Test
    void routeFilesAreNamedForTheCamelTooling() throws IOException {
        assertThat(routeFiles()).isNotEmpty().allSatisfy(file -> assertThat(file.getFileName().toString()).endsWith(".camel.yaml"));
    }

    static List<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(ROUTES)) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
    }
}
