package io.bridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The manifests in k8s/ against the bundle they deploy: the ConfigMaps hold every route file and
 * the settings, the probes answer on the running bundle, the pod is locked down and its JVM runs
 * with the image's options, and the Secret template holds placeholders only; Hawtio Online's
 * overlays choose their Jolokia mode, and the one without credentials comes with a NetworkPolicy
 * admitting only Hawtio Online's namespace to 8778.
 * (.ci/run also renders every overlay with kubectl kustomize.)
 */
class KubernetesManifestsTest extends BridgeHttpTest {

    static final Path BASE = Path.of("k8s/base");
    static final Path NETWORK_POLICY = Path.of("k8s/overlays/hawtio-online-networkpolicy");

    @Test
    void theConfigMapsAreMadeFromExactCopiesOfEveryRouteFileAndTheSettings() throws IOException {
        Map<String, List<String>> generated = new java.util.HashMap<>();
        for (Map<String, Object> generator : list(load(BASE.resolve("kustomization.yaml")).get("configMapGenerator"))) {
            generated.put((String) generator.get("name"), strings(generator.get("files")));
        }
        List<String> routes;
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            routes = files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".camel.yaml")).sorted().toList();
        }
        List<String> copies;
        try (Stream<Path> files = Files.list(BASE.resolve("config/routes"))) {
            copies = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertThat(copies).as("k8s/base/config/routes holds every route file and nothing else: run k8s/sync-config.sh")
                .isEqualTo(routes);
        assertThat(generated.get("bridge-routes")).as("every route file becomes a key of bridge-routes")
                .containsExactlyInAnyOrderElementsOf(routes.stream().map(r -> "config/routes/" + r).toList());
        for (String route : routes) {
            assertThat(BASE.resolve("config/routes/" + route)).as("run k8s/sync-config.sh: the copy of routes/" + route + " differs")
                    .hasSameBinaryContentAs(Path.of("routes", route));
        }
        assertThat(generated.get("bridge-settings")).containsExactly("config/application.yaml");
        assertThat(BASE.resolve("config/application.yaml")).as("run k8s/sync-config.sh: the copy of application.yaml differs")
                .hasSameBinaryContentAs(Path.of("application.yaml"));
    }

    @Test
    void noManifestDefinesTheSecretSoApplyingNeverOverwritesTheOperators() throws IOException {
        List<Path> dirs = new ArrayList<>(List.of(BASE));
        try (Stream<Path> overlays = Files.list(Path.of("k8s/overlays"))) {
            dirs.addAll(overlays.toList());
        }
        for (Path dir : dirs) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                    assertThat(Files.readString(file)).as(file.toString()).doesNotContainPattern("(?m)^kind: Secret")
                            .doesNotContain("secretGenerator");
                }
            }
        }
    }

    @Test
    void theDeploymentMountsTheConfigWhereTheBundleReadsItAndIsLockedDown() throws IOException {
        Map<String, Object> pod = map(map(load(BASE.resolve("deployment.yaml")).get("spec")).get("template"));
        Map<String, Object> deployment = load(BASE.resolve("deployment.yaml"));
        assertThat((Integer) map(deployment.get("spec")).get("replicas")).isGreaterThanOrEqualTo(2);
        Map<String, Object> podSpec = map(pod.get("spec"));
        assertThat(map(podSpec.get("securityContext"))).containsEntry("runAsNonRoot", true);
        Map<String, Object> container = list(podSpec.get("containers")).get(0);
        assertThat(map(container.get("securityContext"))).containsEntry("readOnlyRootFilesystem", true)
                .containsEntry("allowPrivilegeEscalation", false);
        assertThat(list(container.get("ports"))).anySatisfy(port -> assertThat(port).containsEntry("name", "jolokia")
                .containsEntry("containerPort", 8778));

        Map<String, String> env = env(BASE.resolve("deployment.yaml"));
        Map<String, String> mounts = new java.util.HashMap<>();
        for (Map<String, Object> mount : list(container.get("volumeMounts"))) {
            mounts.put((String) mount.get("name"), (String) mount.get("mountPath"));
        }
        assertThat(env.get("CAMEL_MAIN_ROUTESINCLUDEPATTERN")).isEqualTo("file:" + mounts.get("routes") + "/*.camel.yaml");
        assertThat(env.get("SPRING_CONFIG_ADDITIONAL_LOCATION")).isEqualTo("file:" + mounts.get("settings") + "/");
        assertThat(mounts).containsKey("tmp"); // report.csv and Tomcat write there; the root file system is read-only
    }

    @Test
    void theDeploymentRunsTheJvmWithTheImagesOptions() throws IOException {
        // the Deployment's JAVA_TOOL_OPTIONS replaces the image's: an option the Dockerfile chose would be lost on Kubernetes
        Matcher image = Pattern.compile("JAVA_TOOL_OPTIONS=\"([^\"]*)\"").matcher(Files.readString(Path.of("Dockerfile")));
        assertThat(image.find()).as("the Dockerfile sets JAVA_TOOL_OPTIONS").isTrue();
        List<String> imageOptions = List.of(image.group(1).trim().split("\\s+"));
        assertThat(imageOptions).as("the collector is chosen, not left to the memory limit").contains("-XX:+UseParallelGC");
        Map<String, String> env = env(BASE.resolve("deployment.yaml"));
        assertThat(env).containsKey("JAVA_TOOL_OPTIONS");
        List<String> podOptions = List.of(env.get("JAVA_TOOL_OPTIONS").trim().split("\\s+"));
        assertThat(podOptions).containsAll(imageOptions);
        assertThat(podOptions).as("one collector: the JVM refuses to start with two")
                .filteredOn(o -> o.matches("-XX:\\+Use(Serial|Parallel|G1|Z|Shenandoah|Epsilon)GC")).hasSize(1);
    }

    @Test
    void everyProbeAnswersOnTheRunningBundleWithoutCredentials() throws IOException {
        Map<String, Object> container = list(map(map(map(load(BASE.resolve("deployment.yaml")).get("spec")).get("template"))
                .get("spec")).get("containers")).get(0);
        List<String> paths = new ArrayList<>();
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            paths.add((String) map(map(container.get(probe)).get("httpGet")).get("path"));
        }
        assertThat(paths).contains("/actuator/health/readiness", "/actuator/health/liveness");
        for (String path : paths) {
            assertThat(send(java.net.http.HttpRequest.newBuilder(uri(path)).GET().build()).statusCode()).as(path).isEqualTo(200);
        }
    }

    @Test
    void theNetworkPolicyAdmitsOnlyHawtioOnlinesNamespaceToJolokia() throws IOException {
        Map<String, Object> policy = load(NETWORK_POLICY.resolve("networkpolicy.yaml"));
        assertThat(policy).containsEntry("kind", "NetworkPolicy");
        Map<String, Object> spec = map(policy.get("spec"));
        Map<String, Object> bridgePods = map(map(map(map(load(BASE.resolve("deployment.yaml")).get("spec")).get("template"))
                .get("metadata")).get("labels"));
        assertThat(map(map(spec.get("podSelector")).get("matchLabels"))).as("selects the bridge's pods").containsAllEntriesOf(bridgePods);
        assertThat(strings(spec.get("policyTypes"))).contains("Ingress");

        List<Map<String, Object>> toJolokia = new ArrayList<>();
        for (Map<String, Object> rule : list(spec.get("ingress"))) {
            assertThat(rule.get("ports")).as("a rule without ports admits every port, Jolokia's too: " + rule).isNotNull();
            List<Object> ports = list(rule.get("ports")).stream().map(p -> p.get("port")).toList();
            if (ports.contains(8778) || ports.contains("jolokia")) {
                toJolokia.add(rule);
                assertThat(ports).as("the Jolokia rule admits 8778 only").containsExactly(8778);
            }
        }
        assertThat(toJolokia).as("one rule admits Jolokia's port").hasSize(1);
        List<Map<String, Object>> from = list(toJolokia.get(0).get("from"));
        assertThat(from).as("from Hawtio Online's namespace only: no pod, ipBlock or open source").hasSize(1);
        assertThat(from.get(0)).containsOnlyKeys("namespaceSelector");
        assertThat(map(map(from.get(0).get("namespaceSelector")).get("matchLabels")))
                .containsExactly(Map.entry("kubernetes.io/metadata.name", "hawtio"));

        // the overlay puts the policy next to the setting that turns Jolokia's authentication off
        assertThat(strings(load(NETWORK_POLICY.resolve("kustomization.yaml")).get("resources"))).contains("networkpolicy.yaml");
        assertThat(env(NETWORK_POLICY.resolve("jolokia-network-policy.yaml"))).containsEntry("BRIDGE_MONITORING_JOLOKIA_AUTH", "network-policy")
                .containsEntry("BRIDGE_MONITORING_JOLOKIA_NETWORKPOLICYACKNOWLEDGED", "true");
    }

    @Test
    void theHawtioOnlineOverlaysUseClientCertificatesForHawtioOnline() throws IOException {
        Map<String, String> openshift = env(Path.of("k8s/overlays/openshift/jolokia-client-cert.yaml"));
        assertThat(openshift).containsEntry("BRIDGE_MONITORING_JOLOKIA_AUTH", "client-cert")
                .containsEntry("BRIDGE_MONITORING_JOLOKIA_CLIENTPRINCIPALS", "cn=hawtio-online.hawtio.svc")
                .doesNotContainKey("BRIDGE_MONITORING_JOLOKIA_CACERT"); // the default: OpenShift's service CA
        Map<String, String> customCa = env(Path.of("k8s/overlays/hawtio-online-client-cert/jolokia-client-cert.yaml"));
        assertThat(customCa).containsEntry("BRIDGE_MONITORING_JOLOKIA_AUTH", "client-cert")
                .containsEntry("BRIDGE_MONITORING_JOLOKIA_CLIENTPRINCIPALS", "cn=hawtio-online.hawtio.svc")
                .containsEntry("BRIDGE_MONITORING_JOLOKIA_CACERT", "/app/config/hawtio-online-ca/ca.crt");
        for (Path overlay : List.of(Path.of("k8s/overlays/openshift"), Path.of("k8s/overlays/hawtio-online-client-cert"))) {
            assertThat(strings(load(overlay.resolve("kustomization.yaml")).get("resources"))).as(overlay + ": no NetworkPolicy needed")
                    .containsExactly("../../base");
        }
    }

    @Test
    void theSecretTemplateHoldsPlaceholdersOnly() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("k8s/bridge.env.example")).stream()
                .filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
        assertThat(lines).isNotEmpty();
        for (String line : lines) {
            String key = line.substring(0, line.indexOf('='));
            if (key.matches(".*(PASSWORD|SECRET|TOKEN|KEY|ENCRYPTIONKEY|URL)$")) {
                assertThat(line.substring(line.indexOf('=') + 1)).as(key).contains("REPLACE-ME");
            }
        }
    }

    /** The environment a Deployment (or a patch of one) gives the bridge's container. */
    private static Map<String, String> env(Path patch) throws IOException {
        Map<String, Object> container = list(map(map(map(load(patch).get("spec")).get("template")).get("spec")).get("containers")).get(0);
        assertThat(container).containsEntry("name", "bridge");
        Map<String, String> env = new java.util.HashMap<>();
        for (Map<String, Object> variable : list(container.get("env"))) {
            env.put((String) variable.get("name"), String.valueOf(variable.get("value")));
        }
        return env;
    }

    private static Map<String, Object> load(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file)) {
            return new Yaml().load(reader);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return (List<Map<String, Object>>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object value) {
        return (List<String>) value;
    }
}
