package io.bridge.webhooks;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

/**
 * Turns the bytes of one webhook delivery into the JSON text to parse, or refuses them with a
 * {@link RejectedWebhookException} that keeps what arrived:
 * <ul>
 * <li>more than {@code max-payload-bytes} (as sent, or once inflated): 413, the first
 * {@value #KEPT_OF_OVERSIZE} bytes kept;</li>
 * <li>{@code Content-Encoding}: none, {@code identity} or {@code gzip} (inflated here, never past
 * {@code max-payload-bytes}, so a small "gzip bomb" cannot fill the memory); anything else 415;
 * a body that is not the gzip it claims to be 400;</li>
 * <li>{@code Content-Type}: {@code application/json} or {@code application/*+json}, with no charset
 * or {@code charset=utf-8}; anything else 415;</li>
 * <li>bytes that are not valid UTF-8 (checked strictly, never replaced): 400, kept base64-encoded.</li>
 * </ul>
 */
@Component("iterableWebhookBody")
public class IterableWebhookBody {

    /** How much of an oversized body is kept in rejected_webhooks. */
    static final int KEPT_OF_OVERSIZE = 64 * 1024;
    /** Exchange property: the delivery's text, kept in rejected_webhooks should a later step refuse it. */
    public static final String PAYLOAD = "webhookPayload";
    /** Exchange property: the delivery's Content-Encoding (the route drops request headers early). */
    public static final String CONTENT_ENCODING = "webhookContentEncoding";

    private final int maxPayloadBytes;

    public IterableWebhookBody(IterableWebhookProperties props) {
        this.maxPayloadBytes = props.maxPayloadBytes();
    }

    /** The delivery as JSON text; also left in the exchange property {@value #PAYLOAD}. */
    public String decode(@Body InputStream body, @Header("Content-Type") String contentType,
            @ExchangeProperty(CONTENT_ENCODING) String contentEncoding, Exchange exchange) throws IOException {
        String text;
        try {
            text = read(body, contentType, contentEncoding);
        } catch (RejectedWebhookException e) {
            throw e.sentAs(contentType);
        }
        exchange.setProperty(PAYLOAD, text);
        // the text is decoded: no later conversion may apply the charset the sender named
        exchange.removeProperty(Exchange.CHARSET_NAME);
        return text;
    }

    private String read(InputStream body, String contentType, String contentEncoding) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.readNBytes(maxPayloadBytes + 1);
        if (bytes.length > maxPayloadBytes) {
            throw new RejectedWebhookException(413, "payload is larger than " + maxPayloadBytes
                    + " bytes: send one event per request (first " + KEPT_OF_OVERSIZE + " bytes kept)",
                    KeptPayload.head(bytes, KEPT_OF_OVERSIZE, "first " + KEPT_OF_OVERSIZE + " bytes kept"));
        }
        String coding = contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
        boolean gzip = coding.equals("gzip") || coding.equals("x-gzip");
        if (!gzip && !coding.isEmpty() && !coding.equals("identity")) {
            throw new RejectedWebhookException(415, "Content-Encoding " + SafeText.quote(contentEncoding)
                    + " is not supported: send the body uncompressed or with Content-Encoding: gzip", bytes);
        }
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json") && !(mediaType.startsWith("application/") && mediaType.endsWith("+json"))) {
            throw new RejectedWebhookException(415, "Content-Type must be application/json, got "
                    + (contentType == null ? "none" : SafeText.quote(contentType)), bytes);
        }
        String charset = charset(contentType);
        if (charset != null && !isUtf8(charset)) {
            throw new RejectedWebhookException(415, "charset " + SafeText.quote(charset)
                    + " is not supported: send JSON as UTF-8, with Content-Type: application/json or application/json; charset=utf-8",
                    bytes);
        }
        if (gzip) {
            bytes = gunzip(bytes);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (MalformedInputException e) {
            throw new RejectedWebhookException(400, "body is not valid UTF-8 (" + e.getInputLength()
                    + " malformed byte(s)): JSON must be sent as UTF-8", bytes);
        } catch (CharacterCodingException e) {
            throw new RejectedWebhookException(400, "body is not valid UTF-8: JSON must be sent as UTF-8", bytes);
        }
    }

    /** The body inflated, at most max-payload-bytes of it. */
    private byte[] gunzip(byte[] compressed) {
        byte[] inflated;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            inflated = in.readNBytes(maxPayloadBytes + 1);
        } catch (ZipException | EOFException e) {
            throw new RejectedWebhookException(400, "body is not valid gzip, as its Content-Encoding says ("
                    + e.getClass().getSimpleName() + "): send it uncompressed or gzip-compressed", compressed);
        } catch (IOException e) {
            throw new RejectedWebhookException(400, "body is not valid gzip, as its Content-Encoding says: "
                    + "send it uncompressed or gzip-compressed", compressed);
        }
        if (inflated.length > maxPayloadBytes) {
            throw new RejectedWebhookException(413, "gzip body inflates to more than " + maxPayloadBytes
                    + " bytes: send one event per request (first " + KEPT_OF_OVERSIZE + " inflated bytes kept)",
                    KeptPayload.head(inflated, KEPT_OF_OVERSIZE, "first " + KEPT_OF_OVERSIZE + " inflated bytes kept"));
        }
        return inflated;
    }

    /** The charset parameter of a Content-Type, unquoted, or null. */
    static String charset(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parts = contentType.split(";");
        for (int i = 1; i < parts.length; i++) {
            String[] pair = parts[i].split("=", 2);
            if (pair.length == 2 && pair[0].trim().equalsIgnoreCase("charset")) {
                String value = pair[1].trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value;
            }
        }
        return null;
    }

    private static boolean isUtf8(String charset) {
        try {
            return Charset.isSupported(charset) && Charset.forName(charset).equals(StandardCharsets.UTF_8);
        } catch (IllegalCharsetNameException e) {
            return false;
        }
    }
}
