DROP TABLE token_key_check;
