"""Operations: status, dead letters and configuration as plain data; the CLI only renders them."""
