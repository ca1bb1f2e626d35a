DROP TABLE fund_closures;
