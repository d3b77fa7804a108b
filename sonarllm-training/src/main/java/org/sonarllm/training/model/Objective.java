package org.sonarllm.training.model;

/**
 * Training objective of the concept LM.
 *
 * <pre>{@code
 * Objective o = Objective.parse("ce");
 * }</pre>
 */
public enum Objective {
    /** Token cross-entropy through the frozen SONAR decoder (SONAR-LLM, the default). */
    CE,
    /** Mean squared error on the next sentence embedding (the MSE-LCM baseline). */
    MSE;

    /**
     * @param s "ce" or "mse" (any case)
     * @return the objective
     */
    public static Objective parse(String s) {
        for (Objective o : values()) {
            if (o.name().equalsIgnoreCase(s)) {
                return o;
            }
        }
        throw new org.sonarllm.InvalidInputException("expected objective ce or mse, found " + s);
    }
}
