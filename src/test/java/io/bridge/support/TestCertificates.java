package io.bridge.support;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A throw-away CA and client certificates, made with the JDK's keytool: Hawtio Online's (signed by
 * the CA, client-authentication usage), and the ones that must not get in (another subject; a
 * serving certificate without client-authentication usage; Hawtio Online's subject self-signed).
 */
public final class TestCertificates {

    private static final String PASSWORD = "test-only";

    private final Path dir;
    private final Path caPem;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.caPem = dir.resolve("ca.pem");
    }

    public static TestCertificates create() {
        try {
            TestCertificates certs = new TestCertificates(Files.createTempDirectory("bridge-jolokia-certs"));
            certs.keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=bridge-test-ca",
                    "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
            certs.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-storepass", PASSWORD, "-file", "ca.pem");
            return certs;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM of the CA (what the agent trusts). */
    public Path caPem() {
        return caPem;
    }

    /** A key pair for {@code dname}, its certificate signed by the CA with extended key usage {@code eku} (clientAuth, serverAuth). */
    public KeyStore signed(String name, String dname, String eku) {
        keypair(name, dname);
        keytool("-certreq", "-alias", "key", "-keystore", name + ".p12", "-storepass", PASSWORD, "-file", name + ".csr");
        keytool("-gencert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", PASSWORD, "-infile", name + ".csr",
                "-outfile", name + ".crt", "-rfc", "-validity", "2", "-ext", "EKU=" + eku);
        try {
            KeyStore store = load(name + ".p12");
            PrivateKey key = (PrivateKey) store.getKey("key", PASSWORD.toCharArray());
            store.setKeyEntry("key", key, PASSWORD.toCharArray(), new Certificate[] {certificate(name + ".crt"), certificate("ca.pem")});
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key pair for {@code dname} with a self-signed certificate (not from the CA). */
    public KeyStore selfSigned(String name, String dname) {
        keypair(name, dname);
        try {
            return load(name + ".p12");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How long a test waits for the agent's answer (an HTTPS request to a plain HTTP agent would wait forever). */
    public static final Duration ANSWER = Duration.ofSeconds(10);

    /** An HTTPS client presenting {@code client} (none when null), trusting any server (the agent's certificate is self-signed). */
    public static HttpClient https(KeyStore client) {
        try {
            KeyManager[] presented = null;
            if (client != null) {
                KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(client, PASSWORD.toCharArray());
                presented = keys.getKeyManagers();
            }
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(presented, new TrustManager[] {new AnyServer()}, null);
            return HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void keypair(String name, String dname) {
        keytool("-genkeypair", "-alias", "key", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname, "-validity", "2",
                "-keystore", name + ".p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
    }

    private KeyStore load(String file) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(file))) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    private X509Certificate certificate(String file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(dir.resolve(file))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private void keytool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool " + args[0] + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Tests only: the agent's server certificate is self-signed (Hawtio Online does not verify it either). */
    private static final class AnyServer extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
