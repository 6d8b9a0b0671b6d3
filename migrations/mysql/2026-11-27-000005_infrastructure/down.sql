DROP TABLE operating_theatres;
DROP TABLE floors;
DROP TABLE buildings;
