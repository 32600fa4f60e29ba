/**
 * Pinned versions of every server the project runs locally. Kafka is pinned exactly: a
 * listed-but-incomplete release on Maven Central (4.4.0) fails to resolve, so no ranges.
 */
export const KAFKA_VERSION = '4.3.1';
export const KAFKA_SCALA = '2.13';
export const LOG4J_SLF4J_VERSION = '2.25.4';
/** A Rust implementation of the Nacos server protocol, used where the official server cannot be had. */
export const RNACOS_VERSION = '0.8.8';
