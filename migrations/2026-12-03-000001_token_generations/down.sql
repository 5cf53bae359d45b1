DROP TABLE token_generations;
