# The bridge's image: Spring Boot's layered jar on a JRE, as a non-root user.
#   mvn -DskipTests package && docker build -t mixpanel-iterable-bridge:0.1.0 .
# application.yaml and routes/ are baked in as defaults; on Kubernetes the ConfigMaps of
# k8s/base replace them without a new image.
FROM eclipse-temurin:17-jre AS layers
WORKDIR /build
# the product jar alone: the stand-ins and the demo profile are test code, never in it (.ci/run checks
# with jar tf); a -tests or -sources jar or the repackaged .jar.original cannot match this name
COPY target/mixpanel-iterable-bridge-*-SNAPSHOT.jar bridge.jar
RUN java -Djarmode=tools -jar bridge.jar extract --layers --launcher --destination extracted

FROM eclipse-temurin:17-jre
RUN groupadd --gid 10001 bridge && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin bridge
WORKDIR /app
# least-changing layers first
COPY --from=layers /build/extracted/dependencies/ ./
COPY --from=layers /build/extracted/spring-boot-loader/ ./
COPY --from=layers /build/extracted/snapshot-dependencies/ ./
COPY --from=layers /build/extracted/application/ ./
COPY application.yaml ./
COPY routes/ routes/
USER 10001:10001
# The throughput collector, chosen rather than left to the JVM (the serial one below 1,792 MiB of
# memory or on one CPU, G1 otherwise): under webhook load on the embedded HSQLDB it handled more
# events per core than either (README, Operations: JVM)
ENV BRIDGE_DATA_DIR=/data JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70 -XX:+UseParallelGC"
EXPOSE 8080 8778
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
