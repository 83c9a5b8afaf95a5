package io.bridge.webhooks;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser.NumberType;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.NumericNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * A JSON number kept as the text the sender wrote ({@code 1e9}, {@code 1e400}, {@code -0.0},
 * {@code 123456789012345678901234567890}) and written back unchanged: stored properties are the
 * event as sent, never re-serialised into something longer ({@code 1.0E9}) or different
 * ({@code Infinity}). Its length is bounded by Jackson's StreamReadConstraints (1000 characters).
 */
final class NumberText extends NumericNode {

    private final String text;
    private final boolean integral;

    NumberText(String text, boolean integral) {
        this.text = text;
        this.integral = integral;
    }

    @Override
    public String asText() {
        return text;
    }

    @Override
    public boolean isIntegralNumber() {
        return integral;
    }

    @Override
    public boolean isFloatingPointNumber() {
        return !integral;
    }

    @Override
    public JsonToken asToken() {
        return integral ? JsonToken.VALUE_NUMBER_INT : JsonToken.VALUE_NUMBER_FLOAT;
    }

    @Override
    public NumberType numberType() {
        if (!integral) {
            return NumberType.BIG_DECIMAL;
        }
        return canConvertToInt() ? NumberType.INT : canConvertToLong() ? NumberType.LONG : NumberType.BIG_INTEGER;
    }

    @Override
    public Number numberValue() {
        return integral ? bigIntegerValue() : decimalValue();
    }

    @Override
    public int intValue() {
        return integral ? bigIntegerValue().intValue() : (int) doubleValue();
    }

    @Override
    public long longValue() {
        return integral ? bigIntegerValue().longValue() : (long) doubleValue();
    }

    @Override
    public double doubleValue() {
        return Double.parseDouble(text);
    }

    @Override
    public BigDecimal decimalValue() {
        return new BigDecimal(text);
    }

    @Override
    public BigInteger bigIntegerValue() {
        return integral ? new BigInteger(text) : decimalValue().toBigInteger();
    }

    @Override
    public boolean canConvertToInt() {
        return integral && bigIntegerValue().bitLength() < 32;
    }

    @Override
    public boolean canConvertToLong() {
        return integral && bigIntegerValue().bitLength() < 64;
    }

    @Override
    public void serialize(JsonGenerator g, SerializerProvider provider) throws IOException {
        g.writeNumber(text);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NumberText other && other.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
