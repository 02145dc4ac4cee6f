// PLACEHOLDER until the scorer lands.
