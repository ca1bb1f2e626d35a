DROP TABLE inbound_sms;
DROP TABLE notices;
