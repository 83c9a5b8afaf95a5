package io.bridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The README's demo command ({@code mvn spring-boot:run -Dspring-boot.run.profiles=demo}) finds the
 * stand-ins and this profile, which are test code: the pom runs spring-boot:run with the test classes
 * (useTestClasspath alone adds only the test dependencies).
 */
class DemoClasspathTest {

    @Test
    void springBootRunHasTheTestClassesAndTheTestDependencies() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        NodeList plugins = pom.getElementsByTagName("plugin");
        Element configuration = null;
        for (int i = 0; i < plugins.getLength(); i++) {
            Element plugin = (Element) plugins.item(i);
            if ("spring-boot-maven-plugin".equals(text(plugin, "artifactId")) && plugin.getParentNode().getParentNode()
                    .getNodeName().equals("build") && plugin.getElementsByTagName("configuration").getLength() > 0) {
                configuration = (Element) plugin.getElementsByTagName("configuration").item(0);
            }
        }
        assertThat(configuration).as("the build's spring-boot-maven-plugin configuration").isNotNull();
        assertThat(text(configuration, "useTestClasspath")).isEqualTo("true");
        List<String> elements = new ArrayList<>();
        NodeList additional = configuration.getElementsByTagName("additionalClasspathElement");
        for (int i = 0; i < additional.getLength(); i++) {
            elements.add(additional.item(i).getTextContent().trim());
        }
        assertThat(elements).contains("${project.build.testOutputDirectory}");
    }

    private static String text(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
    }
}
