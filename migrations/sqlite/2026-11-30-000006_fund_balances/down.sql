DROP TABLE fund_balances;
