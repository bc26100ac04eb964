/* test_address_parse.c: the USPS Pub 28 parser of services/address on
 * realistic Austin, Phoenix and Columbus addresses, every error message, the
 * whole suffix, unit and state tables, and garbage at the length limits. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/address/address_parse.h"
#include "../../services/address/usps_suffixes.h"

/* Fields as "number|predir|street|suffix|postdir|unit_type|unit|city|
 * state|zip5|zip4", so one string shows the whole result. */
static void fields_of(const address *a, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", a->number,
	         a->predir, a->street, a->suffix, a->postdir, a->unit_type,
	         a->unit, a->city, a->state, a->zip5, a->zip4);
}

static const struct {
	const char *in;
	const char *fields;
	const char *line;
} cases[] = {
    /* Austin, TX */
    {"123 n. main street apt 4, austin, texas 78701-1234",
     "123|N|MAIN|ST||APT|4|AUSTIN|TX|78701|1234",
     "123 N MAIN ST APT 4, AUSTIN, TX 78701-1234"},
    {"1100 Congress Ave, Austin, TX 78701",
     "1100||CONGRESS|AVE||||AUSTIN|TX|78701|",
     "1100 CONGRESS AVE, AUSTIN, TX 78701"},
    {"1100 Congress Avenue Austin TX 78701",
     "1100||CONGRESS|AVE||||AUSTIN|TX|78701|",
     "1100 CONGRESS AVE, AUSTIN, TX 78701"},
    {"1100 CONGRESS AVEN., AUSTIN TX 78701",
     "1100||CONGRESS|AVE||||AUSTIN|TX|78701|",
     "1100 CONGRESS AVE, AUSTIN, TX 78701"},
    {"1100 congress av austin tx 78701",
     "1100||CONGRESS|AVE||||AUSTIN|TX|78701|",
     "1100 CONGRESS AVE, AUSTIN, TX 78701"},
    {"500 E 7th St #4, Austin, Texas 78701",
     "500|E|7TH|ST||#|4|AUSTIN|TX|78701|",
     "500 E 7TH ST # 4, AUSTIN, TX 78701"},
    {"500 East 7th Street, Apt. 4B, Austin, TX 78701",
     "500|E|7TH|ST||APT|4B|AUSTIN|TX|78701|",
     "500 E 7TH ST APT 4B, AUSTIN, TX 78701"},
    {"2200 S Lamar Blvd Suite 200, Austin, TX 78704",
     "2200|S|LAMAR|BLVD||STE|200|AUSTIN|TX|78704|",
     "2200 S LAMAR BLVD STE 200, AUSTIN, TX 78704"},
    {"2200 South Lamar Boulevard, Ste. 200, Austin, Texas 78704-5601",
     "2200|S|LAMAR|BLVD||STE|200|AUSTIN|TX|78704|5601",
     "2200 S LAMAR BLVD STE 200, AUSTIN, TX 78704-5601"},
    {"1600 W 35th St, Austin, TX 78703", "1600|W|35TH|ST||||AUSTIN|TX|78703|",
     "1600 W 35TH ST, AUSTIN, TX 78703"},
    {"3801 N. Lamar Blvd., Austin, Tx. 78756",
     "3801|N|LAMAR|BLVD||||AUSTIN|TX|78756|",
     "3801 N LAMAR BLVD, AUSTIN, TX 78756"},
    {"100 North Ave, Austin TX 78701", "100||NORTH|AVE||||AUSTIN|TX|78701|",
     "100 NORTH AVE, AUSTIN, TX 78701"},
    {"300 E Street, Austin, TX 78701", "300||E|ST||||AUSTIN|TX|78701|",
     "300 E ST, AUSTIN, TX 78701"},
    {"12345 Hwy 71 W, Austin, TX 78738",
     "12345||HIGHWAY 71||W|||AUSTIN|TX|78738|",
     "12345 HIGHWAY 71 W, AUSTIN, TX 78738"},
    {"12345 Highway 71 West Austin TX 78738",
     "12345||HIGHWAY 71||W|||AUSTIN|TX|78738|",
     "12345 HIGHWAY 71 W, AUSTIN, TX 78738"},
    {"4500 Ranch Road 620 N, Austin TX 78732",
     "4500||RANCH ROAD 620||N|||AUSTIN|TX|78732|",
     "4500 RANCH ROAD 620 N, AUSTIN, TX 78732"},
    {"8601 RR 2222, Austin, TX 78730", "8601||RR 2222|||||AUSTIN|TX|78730|",
     "8601 RR 2222, AUSTIN, TX 78730"},
    {"12345 FM 1431, Leander TX 78641", "12345||FM 1431|||||LEANDER|TX|78641|",
     "12345 FM 1431, LEANDER, TX 78641"},
    {"9600 Great Hills Trl, Austin, TX 78759",
     "9600||GREAT HILLS|TRL||||AUSTIN|TX|78759|",
     "9600 GREAT HILLS TRL, AUSTIN, TX 78759"},
    {"9600 Great Hills Trail Apt 1203 Austin TX 78759",
     "9600||GREAT HILLS|TRL||APT|1203|AUSTIN|TX|78759|",
     "9600 GREAT HILLS TRL APT 1203, AUSTIN, TX 78759"},
    {"4301 W William Cannon Dr, Austin, TX 78749",
     "4301|W|WILLIAM CANNON|DR||||AUSTIN|TX|78749|",
     "4301 W WILLIAM CANNON DR, AUSTIN, TX 78749"},
    {"201 Colorado St Unit 1205, Austin, TX 78701",
     "201||COLORADO|ST||UNIT|1205|AUSTIN|TX|78701|",
     "201 COLORADO ST UNIT 1205, AUSTIN, TX 78701"},
    {"1000 E 41st St Bldg 2, Austin TX 78751",
     "1000|E|41ST|ST||BLDG|2|AUSTIN|TX|78751|",
     "1000 E 41ST ST BLDG 2, AUSTIN, TX 78751"},
    {"3000 Duval Rd Floor 3, Austin TX 78759",
     "3000||DUVAL|RD||FL|3|AUSTIN|TX|78759|",
     "3000 DUVAL RD FL 3, AUSTIN, TX 78759"},
    {"8 Rainey St Penthouse 4, Austin TX 78701",
     "8||RAINEY|ST||PH|4|AUSTIN|TX|78701|",
     "8 RAINEY ST PH 4, AUSTIN, TX 78701"},
    {"123 Main St Rear, Austin TX 78701",
     "123||MAIN|ST||REAR||AUSTIN|TX|78701|",
     "123 MAIN ST REAR, AUSTIN, TX 78701"},
    {"11400 N Mopac Expressway, Austin, TX 78759",
     "11400|N|MOPAC|EXPY||||AUSTIN|TX|78759|",
     "11400 N MOPAC EXPY, AUSTIN, TX 78759"},
    {"6800 Burnet Rd # 14, Austin, TX 78757",
     "6800||BURNET|RD||#|14|AUSTIN|TX|78757|",
     "6800 BURNET RD # 14, AUSTIN, TX 78757"},
    {"100 Congress Ave 78701", "100||CONGRESS|AVE||||||78701|",
     "100 CONGRESS AVE, 78701"},
    {"100 Congress Ave, Austin, TX", "100||CONGRESS|AVE||||AUSTIN|TX||",
     "100 CONGRESS AVE, AUSTIN, TX"},
    {"100 Congress Ave, Austin, TX 78701, USA",
     "100||CONGRESS|AVE||||AUSTIN|TX|78701|",
     "100 CONGRESS AVE, AUSTIN, TX 78701"},
    {"100 Congress Ave\nAustin, TX 78701\r\n",
     "100||CONGRESS|AVE||||AUSTIN|TX|78701|",
     "100 CONGRESS AVE, AUSTIN, TX 78701"},
    {"  100   congress   ave  ,  austin ,, tx   78701  ",
     "100||CONGRESS|AVE||||AUSTIN|TX|78701|",
     "100 CONGRESS AVE, AUSTIN, TX 78701"},
    {"123 1/2 E 6th St, Austin TX 78701",
     "123 1/2|E|6TH|ST||||AUSTIN|TX|78701|",
     "123 1/2 E 6TH ST, AUSTIN, TX 78701"},
    {"12B Elm St Apt # 4, Austin TX 78701",
     "12B||ELM|ST||APT|4|AUSTIN|TX|78701|",
     "12B ELM ST APT 4, AUSTIN, TX 78701"},
    {"123 Main St 4B, Austin TX 78701", "123||MAIN|ST||#|4B|AUSTIN|TX|78701|",
     "123 MAIN ST # 4B, AUSTIN, TX 78701"},
    {"123 Main St Bldg 2 Apt 4, Austin TX 78701",
     "123||MAIN|ST||BLDG|2 APT 4|AUSTIN|TX|78701|",
     "123 MAIN ST BLDG 2 APT 4, AUSTIN, TX 78701"},
    {"123 Oak Ct 78701", "123||OAK|CT||||||78701|", "123 OAK CT, 78701"},
    {"123 Main St Austin TX 78701 1234", "123||MAIN|ST||||AUSTIN|TX|78701|1234",
     "123 MAIN ST, AUSTIN, TX 78701-1234"},
    {"123 Main St Austin TX 787011234", "123||MAIN|ST||||AUSTIN|TX|78701|1234",
     "123 MAIN ST, AUSTIN, TX 78701-1234"},
    {"123 Main St, Cedar Park, TX 78613",
     "123||MAIN|ST||||CEDAR PARK|TX|78613|",
     "123 MAIN ST, CEDAR PARK, TX 78613"},
    {"1 Cedar Park Dr Cedar Park TX 78613",
     "1||CEDAR PARK|DR||||CEDAR PARK|TX|78613|",
     "1 CEDAR PARK DR, CEDAR PARK, TX 78613"},
    /* Phoenix, AZ */
    {"4520 N Central Ave Apt. 4B, Phoenix, AZ 85012",
     "4520|N|CENTRAL|AVE||APT|4B|PHOENIX|AZ|85012|",
     "4520 N CENTRAL AVE APT 4B, PHOENIX, AZ 85012"},
    {"200 W Washington St, Phoenix, Arizona 85003",
     "200|W|WASHINGTON|ST||||PHOENIX|AZ|85003|",
     "200 W WASHINGTON ST, PHOENIX, AZ 85003"},
    {"2401 E Camelback Rd Ste 100, Phoenix, AZ 85016-4206",
     "2401|E|CAMELBACK|RD||STE|100|PHOENIX|AZ|85016|4206",
     "2401 E CAMELBACK RD STE 100, PHOENIX, AZ 85016-4206"},
    {"1 E Jefferson St, Phoenix AZ 85004",
     "1|E|JEFFERSON|ST||||PHOENIX|AZ|85004|",
     "1 E JEFFERSON ST, PHOENIX, AZ 85004"},
    {"3300 N Central Avenue Suite 1500 Phoenix AZ 85012",
     "3300|N|CENTRAL|AVE||STE|1500|PHOENIX|AZ|85012|",
     "3300 N CENTRAL AVE STE 1500, PHOENIX, AZ 85012"},
    {"5050 N 40th St Unit 200, Phoenix, AZ 85018",
     "5050|N|40TH|ST||UNIT|200|PHOENIX|AZ|85018|",
     "5050 N 40TH ST UNIT 200, PHOENIX, AZ 85018"},
    {"1830 w glendale ave, phoenix, az 85021",
     "1830|W|GLENDALE|AVE||||PHOENIX|AZ|85021|",
     "1830 W GLENDALE AVE, PHOENIX, AZ 85021"},
    {"7000 E Mayo Blvd Building 21, Phoenix, AZ 85054",
     "7000|E|MAYO|BLVD||BLDG|21|PHOENIX|AZ|85054|",
     "7000 E MAYO BLVD BLDG 21, PHOENIX, AZ 85054"},
    {"2020 N Central Ave #800, Phoenix, Arizona 85004",
     "2020|N|CENTRAL|AVE||#|800|PHOENIX|AZ|85004|",
     "2020 N CENTRAL AVE # 800, PHOENIX, AZ 85004"},
    {"15 S 34th Street, Phoenix, AZ 85034", "15|S|34TH|ST||||PHOENIX|AZ|85034|",
     "15 S 34TH ST, PHOENIX, AZ 85034"},
    {"100 N 7th Ave Lot 12, Phoenix AZ 85007",
     "100|N|7TH|AVE||LOT|12|PHOENIX|AZ|85007|",
     "100 N 7TH AVE LOT 12, PHOENIX, AZ 85007"},
    {"3910 S Rural Rd Trlr 5, Tempe, AZ 85282",
     "3910|S|RURAL|RD||TRLR|5|TEMPE|AZ|85282|",
     "3910 S RURAL RD TRLR 5, TEMPE, AZ 85282"},
    {"1234 W Thunderbird Rd Space 14, Phoenix, AZ 85023",
     "1234|W|THUNDERBIRD|RD||SPC|14|PHOENIX|AZ|85023|",
     "1234 W THUNDERBIRD RD SPC 14, PHOENIX, AZ 85023"},
    {"20 E Northern Ave, Phoenix, AZ 85020",
     "20|E|NORTHERN|AVE||||PHOENIX|AZ|85020|",
     "20 E NORTHERN AVE, PHOENIX, AZ 85020"},
    {"10 E Via Linda, Scottsdale, AZ 85258",
     "10|E|VIA LINDA|||||SCOTTSDALE|AZ|85258|",
     "10 E VIA LINDA, SCOTTSDALE, AZ 85258"},
    {"4802 E Ray Road, Phoenix AZ 85044", "4802|E|RAY|RD||||PHOENIX|AZ|85044|",
     "4802 E RAY RD, PHOENIX, AZ 85044"},
    /* Columbus, OH */
    {"1500 N High St, Columbus, OH 43201",
     "1500|N|HIGH|ST||||COLUMBUS|OH|43201|",
     "1500 N HIGH ST, COLUMBUS, OH 43201"},
    {"1500 North High Street, Columbus, Ohio 43201-1234",
     "1500|N|HIGH|ST||||COLUMBUS|OH|43201|1234",
     "1500 N HIGH ST, COLUMBUS, OH 43201-1234"},
    {"90 W Broad St, Columbus, OH 43215", "90|W|BROAD|ST||||COLUMBUS|OH|43215|",
     "90 W BROAD ST, COLUMBUS, OH 43215"},
    {"1739 N High St Room 200, Columbus, OH 43210",
     "1739|N|HIGH|ST||RM|200|COLUMBUS|OH|43210|",
     "1739 N HIGH ST RM 200, COLUMBUS, OH 43210"},
    {"2000 W Henderson Rd Ste 500, Columbus, OH 43220",
     "2000|W|HENDERSON|RD||STE|500|COLUMBUS|OH|43220|",
     "2000 W HENDERSON RD STE 500, COLUMBUS, OH 43220"},
    {"3535 Olentangy River Rd, Columbus, OH 43214",
     "3535||OLENTANGY RIVER|RD||||COLUMBUS|OH|43214|",
     "3535 OLENTANGY RIVER RD, COLUMBUS, OH 43214"},
    {"3535 Olentangy River Rd Columbus OH 43214",
     "3535||OLENTANGY RIVER|RD||||COLUMBUS|OH|43214|",
     "3535 OLENTANGY RIVER RD, COLUMBUS, OH 43214"},
    {"1 Easton Oval, Columbus, OH 43219",
     "1||EASTON|OVAL||||COLUMBUS|OH|43219|",
     "1 EASTON OVAL, COLUMBUS, OH 43219"},
    {"445 E Dublin Granville Rd, Columbus, OH 43229",
     "445|E|DUBLIN GRANVILLE|RD||||COLUMBUS|OH|43229|",
     "445 E DUBLIN GRANVILLE RD, COLUMBUS, OH 43229"},
    {"100 E Campus View Blvd, Columbus, OH 43235",
     "100|E|CAMPUS VIEW|BLVD||||COLUMBUS|OH|43235|",
     "100 E CAMPUS VIEW BLVD, COLUMBUS, OH 43235"},
    {"580 S High St Apt 310 Columbus Ohio 43215",
     "580|S|HIGH|ST||APT|310|COLUMBUS|OH|43215|",
     "580 S HIGH ST APT 310, COLUMBUS, OH 43215"},
    {"1234 Parsons Ave Dept 7, Columbus, OH 43206",
     "1234||PARSONS|AVE||DEPT|7|COLUMBUS|OH|43206|",
     "1234 PARSONS AVE DEPT 7, COLUMBUS, OH 43206"},
    {"50 W Town St Office, Columbus OH 43215",
     "50|W|TOWN|ST||OFC||COLUMBUS|OH|43215|",
     "50 W TOWN ST OFC, COLUMBUS, OH 43215"},
    {"100 Main St NE, Columbus, OH 43215",
     "100||MAIN|ST|NE|||COLUMBUS|OH|43215|",
     "100 MAIN ST NE, COLUMBUS, OH 43215"},
    {"1 Nationwide Plaza, Columbus, OH 43215",
     "1||NATIONWIDE|PLZ||||COLUMBUS|OH|43215|",
     "1 NATIONWIDE PLZ, COLUMBUS, OH 43215"},
    {"4000 Morse Crossing, Columbus, OH 43219",
     "4000||MORSE|XING||||COLUMBUS|OH|43219|",
     "4000 MORSE XING, COLUMBUS, OH 43219"},
    {"200 Civic Center Dr, Columbus, OH 43215",
     "200||CIVIC CENTER|DR||||COLUMBUS|OH|43215|",
     "200 CIVIC CENTER DR, COLUMBUS, OH 43215"},
    {"123 North East Main St, Columbus OH 43215",
     "123|NE|MAIN|ST||||COLUMBUS|OH|43215|",
     "123 NE MAIN ST, COLUMBUS, OH 43215"},
    {"123 Main St North East, Columbus OH 43215",
     "123||MAIN|ST|NE|||COLUMBUS|OH|43215|",
     "123 MAIN ST NE, COLUMBUS, OH 43215"},
    {"123 N.E. Main St., Columbus, O.H. 43215",
     "123|NE|MAIN|ST||||COLUMBUS|OH|43215|",
     "123 NE MAIN ST, COLUMBUS, OH 43215"},
    {"77 O'Hara Pkwy, Columbus, OH 43215",
     "77||OHARA|PKWY||||COLUMBUS|OH|43215|",
     "77 OHARA PKWY, COLUMBUS, OH 43215"},
    /* Elsewhere: the classic edge cases and full state names. */
    {"1 Avenue of the Americas, New York, NY 10020",
     "1||AVENUE OF THE AMERICAS|||||NEW YORK|NY|10020|",
     "1 AVENUE OF THE AMERICAS, NEW YORK, NY 10020"},
    {"300 E Street NW, Washington, District of Columbia 20001",
     "300||E|ST|NW|||WASHINGTON|DC|20001|",
     "300 E ST NW, WASHINGTON, DC 20001"},
    {"300 E St. N.W., Washington, D.C. 20001",
     "300||E|ST|NW|||WASHINGTON|DC|20001|",
     "300 E ST NW, WASHINGTON, DC 20001"},
    {"1 Calle Luna, San Juan, Puerto Rico 00901",
     "1||CALLE LUNA|||||SAN JUAN|PR|00901|",
     "1 CALLE LUNA, SAN JUAN, PR 00901"},
    {"123 Cerrillos Rd, Santa Fe, New Mexico 87501",
     "123||CERRILLOS|RD||||SANTA FE|NM|87501|",
     "123 CERRILLOS RD, SANTA FE, NM 87501"},
    {"123 Ocean Key, Key West, FL 33040", "123||OCEAN|KY||||KEY WEST|FL|33040|",
     "123 OCEAN KY, KEY WEST, FL 33040"},
    {"123 Lake Shore Dr Chicago IL 60611",
     "123||LAKE SHORE|DR||||CHICAGO|IL|60611|",
     "123 LAKE SHORE DR, CHICAGO, IL 60611"},
    {"100 Park, Helena, Montana", "100||PARK|||||HELENA|MT||",
     "100 PARK, HELENA, MT"},
    {"100 Avenue B, Austin, TX 78701", "100||AVENUE B|||||AUSTIN|TX|78701|",
     "100 AVENUE B, AUSTIN, TX 78701"},
    {"123 Main St, Austin, TX 78701 USA", "123||MAIN|ST||||AUSTIN|TX|78701|",
     "123 MAIN ST, AUSTIN, TX 78701"},
    {"123 Main St, Austin, TX 78701, United States of America",
     "123||MAIN|ST||||AUSTIN|TX|78701|", "123 MAIN ST, AUSTIN, TX 78701"},
    {"100 US 290, Dripping Springs, TX 78620",
     "100||US 290|||||DRIPPING SPRINGS|TX|78620|",
     "100 US 290, DRIPPING SPRINGS, TX 78620"},
    {"100 Cañon Dr, Española, NM 87532", "100||CAÑON|DR||||ESPAÑOLA|NM|87532|",
     "100 CAÑON DR, ESPAÑOLA, NM 87532"},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_case)
{
	address a;
	char why[ADDRESS_WHY_SIZE] = "unset";
	char got[512];
	address_status st =
	    address_parse_text(cases[_i].in, &a, why, sizeof(why));
	ck_assert_msg(st == ADDRESS_OK, "\"%s\": %s", cases[_i].in, why);
	ck_assert_str_eq(why, "");
	fields_of(&a, got, sizeof(got));
	ck_assert_str_eq(got, cases[_i].fields);
	ck_assert_str_eq(a.line, cases[_i].line);

	/* The one-line form is itself an address that reads back the same. */
	address again;
	ck_assert_int_eq(address_parse_text(a.line, &again, why, sizeof(why)),
	                 ADDRESS_OK);
	ck_assert_str_eq(again.line, a.line);
	ck_assert_str_eq(again.key, a.key);
}
END_TEST

START_TEST(test_case_count)
{
	ck_assert_uint_ge(NCASES, 60);
}
END_TEST

START_TEST(test_key_shape)
{
	address a;
	ck_assert_int_eq(
	    address_parse_text("123 n. main street apt 4, austin, texas "
	                       "78701-1234",
	                       &a, NULL, 0),
	    ADDRESS_OK);
	ck_assert_str_eq(a.key, "123|n|main|st||4|78701");
	ck_assert_int_eq(
	    address_parse_text("100 Congress Ave, Austin, TX", &a, NULL, 0),
	    ADDRESS_OK);
	ck_assert_str_eq(a.key, "100||congress|ave|||austin,tx");
	ck_assert_int_eq(address_parse_text("123 Main St Rear, Austin TX 78701",
	                                    &a, NULL, 0),
	                 ADDRESS_OK);
	ck_assert_str_eq(a.key, "123||main|st||rear|78701");
	ck_assert_int_eq(address_parse_text("300 E Street NW, Washington, DC "
	                                    "20001",
	                                    &a, NULL, 0),
	                 ADDRESS_OK);
	ck_assert_str_eq(a.key, "300||e|st|nw||20001");
}
END_TEST

/* Each group: spellings of one address, which must share one key. */
static const char *const same[][6] = {
    {"123 N Main St Apt 4, Austin, TX 78701",
     "123 north main street, apartment 4, austin texas 78701-1234",
     "123 N. MAIN ST. #4 AUSTIN TX 78701", "123 n main str unit 4 78701",
     "123 N Main Strt, Suite 4, Austin, Texas 78701", NULL},
    {"1100 Congress Ave, Austin, TX 78701", "1100 Congress Avenue 78701",
     "1100 congress av, austin, tx 78701-2000",
     "1100 CONGRESS AVNUE AUSTIN TEXAS 78701", "1100 Congress Aven. 78701",
     NULL},
    {"4520 N Central Ave Apt 4B, Phoenix, AZ 85012",
     "4520 North Central Avenue #4B, Phoenix, Arizona 85012",
     "4520 n central av., apt. 4b, phoenix az 85012-1111",
     "4520 N Central Ave Ste 4B 85012", NULL},
    {"1500 N High St, Columbus, OH 43201",
     "1500 North High Street, Columbus, Ohio 43201-1234",
     "1500 n. high st., columbus, oh 43201", "1500 N HIGH STREET 43201", NULL},
    {"12345 Hwy 71 W, Austin, TX 78738", "12345 Highway 71 West 78738",
     "12345 HWY 71 W, AUSTIN, TEXAS 78738", "12345 hiway 71 w 78738", NULL},
    {"300 E St NW, Washington, DC 20001",
     "300 E Street Northwest, Washington, District of Columbia 20001",
     "300 e street n.w., washington, d.c. 20001", NULL},
};

START_TEST(test_same_key)
{
	address first;
	ck_assert_int_eq(address_parse_text(same[_i][0], &first, NULL, 0),
	                 ADDRESS_OK);
	for (int k = 1; same[_i][k]; k++) {
		address a;
		char why[ADDRESS_WHY_SIZE];
		ck_assert_msg(address_parse_text(same[_i][k], &a, why,
		                                 sizeof(why)) == ADDRESS_OK,
		              "\"%s\": %s", same[_i][k], why);
		ck_assert_msg(strcmp(a.key, first.key) == 0,
		              "\"%s\" -> %s, want %s", same[_i][k], a.key,
		              first.key);
	}
}
END_TEST

START_TEST(test_different_keys)
{
	/* One field changed each time: never the same key. */
	static const char *const addrs[] = {
	    "123 N Main St Apt 4, Austin, TX 78701",
	    "123 N Main St Apt 5, Austin, TX 78701",
	    "123 S Main St Apt 4, Austin, TX 78701",
	    "123 N Main Ave Apt 4, Austin, TX 78701",
	    "124 N Main St Apt 4, Austin, TX 78701",
	    "123 N Maine St Apt 4, Austin, TX 78701",
	    "123 N Main St Apt 4, Austin, TX 78702",
	    "123 N Main St, Austin, TX 78701",
	    "123 Main St N Apt 4, Austin, TX 78701",
	    "123 N Main St Apt 4, Austin, TX",
	    "123 N Main St Apt 4, Dallas, TX",
	};
	char keys[sizeof(addrs) / sizeof(addrs[0])][ADDRESS_LINE_SIZE];
	size_t n = sizeof(addrs) / sizeof(addrs[0]);
	for (size_t i = 0; i < n; i++) {
		address a;
		ck_assert_int_eq(address_parse_text(addrs[i], &a, NULL, 0),
		                 ADDRESS_OK);
		memcpy(keys[i], a.key, sizeof(a.key));
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(keys[i], keys[j]) != 0,
			              "\"%s\" and \"%s\" share %s", addrs[i],
			              addrs[j], keys[i]);
	}
}
END_TEST

static const struct {
	const char *in;
	address_status st;
	const char *why;
} errors[] = {
    {"Main St, Austin TX 78701", ADDRESS_ENUMBER,
     "address: missing house number"},
    {"Austin, TX 78701", ADDRESS_ENUMBER, "address: missing house number"},
    {"Apt 4, 123 Main St, Austin TX 78701", ADDRESS_ENUMBER,
     "address: missing house number"},
    {"N123W456 Main St, Milwaukee, WI 53202", ADDRESS_ENUMBER,
     "address: missing house number"},
    {"123, Austin TX 78701", ADDRESS_ESTREET, "address: missing street name"},
    {"123 Apt 4, Austin TX 78701", ADDRESS_ESTREET,
     "address: missing street name"},
    {"123 1/2, Austin TX 78701", ADDRESS_ESTREET,
     "address: missing street name"},
    {"123 Main St, Austin, XX 78701", ADDRESS_ESTATE,
     "address: unknown state \"XX\""},
    {"123 Main St Austin XX 78701", ADDRESS_ESTATE,
     "address: unknown state \"XX\""},
    {"123 Main St, Austin, Texxas 78701", ADDRESS_ESTATE,
     "address: unknown state \"TEXXAS\""},
    {"123 Main St, Austin, tejas", ADDRESS_ESTATE,
     "address: unknown state \"TEJAS\""},
    {"123 Main St, Austin, New Texas 78701", ADDRESS_ESTATE,
     "address: unknown state \"NEW TEXAS\""},
    {"123 Main St, Austin, TX 7870", ADDRESS_EZIP,
     "address: ZIP must be 5 digits or ZIP+4"},
    {"123 Main St, Austin, TX 787012", ADDRESS_EZIP,
     "address: ZIP must be 5 digits or ZIP+4"},
    {"123 Main St, Austin, TX 78701-12", ADDRESS_EZIP,
     "address: ZIP must be 5 digits or ZIP+4"},
    {"123 Main St, Austin, TX 7870A", ADDRESS_EZIP,
     "address: ZIP must be 5 digits or ZIP+4"},
    {"123 Main St, Austin, 787-01", ADDRESS_EZIP,
     "address: ZIP must be 5 digits or ZIP+4"},
    {"123 Main St", ADDRESS_EPLACE, "address: missing city or ZIP"},
    {"123 Main St, Austin", ADDRESS_EPLACE, "address: missing city or ZIP"},
    {"123 Main St, TX", ADDRESS_EPLACE, "address: missing city or ZIP"},
    {"123 Main St Apt 4", ADDRESS_EPLACE, "address: missing city or ZIP"},
    {"", ADDRESS_EINPUT, "address: empty input"},
    {"   ", ADDRESS_EINPUT, "address: empty input"},
    {" , ,, ;\n", ADDRESS_EINPUT, "address: empty input"},
    {"...", ADDRESS_EINPUT, "address: empty input"},
    {"123 Main St\x01, Austin TX 78701", ADDRESS_EINPUT,
     "address: control character in input"},
    {"123 Main St\x7f", ADDRESS_EINPUT, "address: control character in input"},
    {"123 Main St \xc2\x85", ADDRESS_EINPUT,
     "address: control character in input"},
    {"123 Main St \xff", ADDRESS_EINPUT, "address: invalid UTF-8 in input"},
    {"123 Main St \xc3", ADDRESS_EINPUT, "address: invalid UTF-8 in input"},
    {"123 Main St \xc0\xaf", ADDRESS_EINPUT, "address: invalid UTF-8 in input"},
    {"123 Main St \xed\xa0\x80", ADDRESS_EINPUT,
     "address: invalid UTF-8 in input"},
    {"123 Main St \xf4\x90\x80\x80", ADDRESS_EINPUT,
     "address: invalid UTF-8 in input"},
    {"123 Main St \xe2\x82", ADDRESS_EINPUT, "address: invalid UTF-8 in input"},
    {"1234567890123456 Main St, Austin TX 78701", ADDRESS_ETOOLONG,
     "address: house number longer than 15 bytes"},
    {"123 Main St Apt 1234567890123456, Austin TX 78701", ADDRESS_ETOOLONG,
     "address: unit number longer than 15 bytes"},
};

START_TEST(test_error)
{
	address a;
	char why[ADDRESS_WHY_SIZE] = "";
	memset(&a, 'x', sizeof(a));
	address_status st =
	    address_parse_text(errors[_i].in, &a, why, sizeof(why));
	ck_assert_msg(st == errors[_i].st, "\"%s\": status %d (%s)",
	              errors[_i].in, st, why);
	ck_assert_str_eq(why, errors[_i].why);
	/* A failed parse leaves no half result behind. */
	ck_assert_str_eq(a.number, "");
	ck_assert_str_eq(a.line, "");
	ck_assert_str_eq(a.key, "");
}
END_TEST

START_TEST(test_null_and_small_why)
{
	address a;
	char why[ADDRESS_WHY_SIZE];
	ck_assert_int_eq(address_parse_text(NULL, &a, why, sizeof(why)),
	                 ADDRESS_EINPUT);
	ck_assert_str_eq(why, "address: empty input");
	/* why is optional and cut to its size. */
	ck_assert_int_eq(address_parse_text("123", &a, NULL, 0),
	                 ADDRESS_ESTREET);
	char small[9];
	ck_assert_int_eq(address_parse_text("123", &a, small, sizeof(small)),
	                 ADDRESS_ESTREET);
	ck_assert_str_eq(small, "address:");
	memcpy(small, "zzzz", 5);
	ck_assert_int_eq(address_parse_text("123", &a, small, 0),
	                 ADDRESS_ESTREET);
	ck_assert_str_eq(small, "zzzz");
}
END_TEST

/* Builds "<number> <name> St Apt <unit>, <city>, TX 78701" with a name,
 * unit and city of the given lengths. */
static void build(char *buf, size_t cap, int number_len, int street_len,
                  int unit_len, int city_len)
{
	char num[64], street[128], unit[64], city[128];
	memset(num, '1', (size_t)number_len);
	num[number_len] = '\0';
	memset(street, 'M', (size_t)street_len);
	street[street_len] = '\0';
	memset(unit, '4', (size_t)unit_len);
	unit[unit_len] = '\0';
	memset(city, 'A', (size_t)city_len);
	city[city_len] = '\0';
	snprintf(buf, cap, "%s %s St Apt %s, %s, TX 78701", num, street, unit,
	         city);
}

START_TEST(test_field_limits)
{
	char in[600];
	address a;
	char why[ADDRESS_WHY_SIZE];

	build(in, sizeof(in), ADDRESS_NUMBER_MAX, ADDRESS_STREET_MAX,
	      ADDRESS_UNIT_MAX, ADDRESS_CITY_MAX);
	ck_assert_int_eq(address_parse_text(in, &a, why, sizeof(why)),
	                 ADDRESS_OK);
	ck_assert_uint_eq(strlen(a.number), ADDRESS_NUMBER_MAX);
	ck_assert_uint_eq(strlen(a.street), ADDRESS_STREET_MAX);
	ck_assert_uint_eq(strlen(a.unit), ADDRESS_UNIT_MAX);
	ck_assert_uint_eq(strlen(a.city), ADDRESS_CITY_MAX);

	build(in, sizeof(in), ADDRESS_NUMBER_MAX + 1, 4, 1, 6);
	ck_assert_int_eq(address_parse_text(in, &a, why, sizeof(why)),
	                 ADDRESS_ETOOLONG);
	ck_assert_str_eq(why, "address: house number longer than 15 bytes");
	build(in, sizeof(in), 3, ADDRESS_STREET_MAX + 1, 1, 6);
	ck_assert_int_eq(address_parse_text(in, &a, why, sizeof(why)),
	                 ADDRESS_ETOOLONG);
	ck_assert_str_eq(why, "address: street name longer than 64 bytes");
	build(in, sizeof(in), 3, 4, ADDRESS_UNIT_MAX + 1, 6);
	ck_assert_int_eq(address_parse_text(in, &a, why, sizeof(why)),
	                 ADDRESS_ETOOLONG);
	ck_assert_str_eq(why, "address: unit number longer than 15 bytes");
	build(in, sizeof(in), 3, 4, 1, ADDRESS_CITY_MAX + 1);
	ck_assert_int_eq(address_parse_text(in, &a, why, sizeof(why)),
	                 ADDRESS_ETOOLONG);
	ck_assert_str_eq(why, "address: city longer than 48 bytes");

	/* A street name of many words counts its spaces. */
	ck_assert_int_eq(
	    address_parse_text("1 AAAAAAAAA BBBBBBBBB CCCCCCCCC DDDDDDDDD "
	                       "EEEEEEEEE FFFFFFFFF GGGG St, Austin, TX",
	                       &a, why, sizeof(why)),
	    ADDRESS_OK);
	ck_assert_uint_eq(strlen(a.street), 64);
	ck_assert_int_eq(
	    address_parse_text("1 AAAAAAAAA BBBBBBBBB CCCCCCCCC DDDDDDDDD "
	                       "EEEEEEEEE FFFFFFFFF GGGGG St, Austin, TX",
	                       &a, why, sizeof(why)),
	    ADDRESS_ETOOLONG);
}
END_TEST

/* A valid address padded with spaces to exactly len bytes. */
static char *padded(size_t len)
{
	const char *base = "123 Main St, Austin, TX 78701";
	char *s = malloc(len + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, ' ', len);
	memcpy(s, base, strlen(base));
	s[len] = '\0';
	return s;
}

START_TEST(test_input_length_boundary)
{
	address a;
	char why[ADDRESS_WHY_SIZE];
	for (size_t len = ADDRESS_INPUT_MAX - 1; len <= ADDRESS_INPUT_MAX + 1;
	     len++) {
		char *s = padded(len);
		address_status st = address_parse_text(s, &a, why, sizeof(why));
		if (len <= ADDRESS_INPUT_MAX) {
			ck_assert_int_eq(st, ADDRESS_OK);
			ck_assert_str_eq(a.line,
			                 "123 MAIN ST, AUSTIN, TX 78701");
		} else {
			ck_assert_int_eq(st, ADDRESS_EINPUT);
			ck_assert_str_eq(
			    why, "address: input longer than 512 bytes");
		}
		free(s);
	}
}
END_TEST

/* A tiny deterministic generator, so a failure replays exactly. */
static unsigned long rng_state;
static unsigned rng(void)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(rng_state >> 33);
}

static void check_result(const char *in, address_status st, const address *a,
                         const char *why)
{
	ck_assert_msg(st >= ADDRESS_OK && st <= ADDRESS_ETOOLONG,
	              "status %d for \"%s\"", st, in);
	if (st == ADDRESS_OK) {
		ck_assert_str_eq(why, "");
		ck_assert_msg(a->line[0] != '\0', "empty line for \"%s\"", in);
		ck_assert_uint_lt(strlen(a->line), sizeof(a->line));
		ck_assert_uint_lt(strlen(a->key), sizeof(a->key));
		ck_assert_msg(a->street[0] && a->number[0], "\"%s\"", in);
	} else {
		ck_assert_msg(strncmp(why, "address: ", 9) == 0,
		              "message \"%s\" for \"%s\"", why, in);
	}
}

START_TEST(test_garbage)
{
	/* Random words from the parser's own vocabulary and random bytes,
	 * at every length up to one past the limit: a status and a message,
	 * never a crash (ASan and valgrind runs check the memory). */
	static const char *const words[] = {
	    "123",  "1/2",  "#",    ",",     "APT", "4B",   "N",     "NORTH",
	    "EAST", "ST",   "AVE",  "HWY",   "71",  "TX",   "TEXAS", "NEW",
	    "YORK", "US",   "USA",  "78701", "-",   "1234", ".",     "D.C.",
	    "RR",   "RM",   "REAR", "KEY",   "CT",  "\n",   "O'",    "ÑO",
	    "  ",   "BLDG", "2",    "OF",    "THE", "PARK", "LAKE",  "ROAD"};
	char in[ADDRESS_INPUT_MAX + 64];
	rng_state = 42;
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 0;
		size_t target = rng() % (ADDRESS_INPUT_MAX + 2);
		int bytes = iter % 4 == 0;
		while (n < target) {
			if (bytes) {
				in[n++] = (char)(rng() % 255 + 1);
				continue;
			}
			const char *w =
			    words[rng() % (sizeof(words) / sizeof(words[0]))];
			size_t wl = strlen(w);
			if (n + wl + 1 > target)
				break;
			memcpy(in + n, w, wl);
			n += wl;
			in[n++] = ' ';
		}
		in[n] = '\0';
		address a;
		char why[ADDRESS_WHY_SIZE] = "";
		address_status st =
		    address_parse_text(in, &a, why, sizeof(why));
		check_result(in, st, &a, why);
	}
}
END_TEST

START_TEST(test_long_tokens)
{
	/* One 512-byte word, 512 '#', 256 one-letter words: the token
	 * buffers' worst cases. */
	char in[ADDRESS_INPUT_MAX + 1];
	address a;
	char why[ADDRESS_WHY_SIZE];
	const char fill[] = {'A', '#', ',', '1', '-', '/', '.', '\''};
	for (size_t f = 0; f < sizeof(fill); f++) {
		memset(in, fill[f], ADDRESS_INPUT_MAX);
		in[ADDRESS_INPUT_MAX] = '\0';
		address_status st =
		    address_parse_text(in, &a, why, sizeof(why));
		check_result(in, st, &a, why);
		ck_assert_int_ne(st, ADDRESS_OK);
		for (size_t i = 1; i < ADDRESS_INPUT_MAX; i += 2)
			in[i] = ' ';
		st = address_parse_text(in, &a, why, sizeof(why));
		check_result(in, st, &a, why);
	}
	/* "1 A A A ... St, Austin TX": hundreds of name words. */
	memset(in, ' ', ADDRESS_INPUT_MAX);
	in[0] = '1';
	for (size_t i = 2; i < ADDRESS_INPUT_MAX - 24; i += 2)
		in[i] = 'A';
	memcpy(in + ADDRESS_INPUT_MAX - 22, "St, Austin, TX 78701", 20);
	in[ADDRESS_INPUT_MAX] = '\0';
	ck_assert_int_eq(address_parse_text(in, &a, why, sizeof(why)),
	                 ADDRESS_ETOOLONG);
	ck_assert_str_eq(why, "address: street name longer than 64 bytes");
}
END_TEST

/* ---- The tables ------------------------------------------------------- */

START_TEST(test_suffix_table)
{
	/* Appendix C1 has some 200 primary names. */
	ck_assert_uint_ge(usps_suffix_table_len, 195);
	ck_assert_uint_le(usps_suffix_table_len, 215);
	for (size_t i = 0; i < usps_suffix_table_len; i++) {
		const usps_suffix *row = &usps_suffix_table[i];
		/* The primary name is one of its own spellings. */
		ck_assert_ptr_eq(usps_suffix_find(row->name), row);
		ck_assert_str_eq(address_suffix_abbr(row->abbr), row->abbr);
	}
}
END_TEST

/* Every spelling of every row: the lookup, then a whole address. */
START_TEST(test_suffix_sweep)
{
	const usps_suffix *row = &usps_suffix_table[_i];
	char word[32], lower[32], in[128], want[128];
	const char *p = row->spellings;
	int spellings = 0;
	while (*p) {
		size_t n = strcspn(p, " ");
		ck_assert_uint_lt(n, sizeof(word));
		memcpy(word, p, n);
		word[n] = '\0';
		p += n + (p[n] == ' ');
		spellings++;

		/* The standard abbreviation wins over a spelling another
		 * row lists: MDW is MEADOW's, though MEADOWS lists it. */
		const char *want_abbr = row->abbr;
		for (size_t k = 0; k < usps_suffix_table_len; k++)
			if (strcmp(usps_suffix_table[k].abbr, word) == 0)
				want_abbr = word;
		ck_assert_msg(strcmp(address_suffix_abbr(word), want_abbr) == 0,
		              "%s -> %s, want %s", word,
		              address_suffix_abbr(word), want_abbr);
		for (size_t k = 0; k <= n; k++)
			lower[k] = (char)(word[k] >= 'A' && word[k] <= 'Z'
			                      ? word[k] + 32
			                      : word[k]);
		ck_assert_str_eq(address_suffix_abbr(lower), want_abbr);

		address a;
		char why[ADDRESS_WHY_SIZE];
		snprintf(in, sizeof(in), "100 Maple %s, Austin, TX 78701",
		         lower);
		ck_assert_msg(address_parse_text(in, &a, why, sizeof(why)) ==
		                  ADDRESS_OK,
		              "\"%s\": %s", in, why);
		ck_assert_msg(strcmp(a.suffix, want_abbr) == 0 &&
		                  strcmp(a.street, "MAPLE") == 0,
		              "\"%s\" -> street %s suffix %s", in, a.street,
		              a.suffix);
		snprintf(want, sizeof(want), "100 MAPLE %s, AUSTIN, TX 78701",
		         want_abbr);
		ck_assert_str_eq(a.line, want);
	}
	ck_assert_int_ge(spellings, 1);
}
END_TEST

START_TEST(test_suffix_lookup_misses)
{
	ck_assert_ptr_null(address_suffix_abbr(NULL));
	ck_assert_ptr_null(address_suffix_abbr(""));
	ck_assert_ptr_null(address_suffix_abbr("MAIN"));
	ck_assert_ptr_null(address_suffix_abbr("STREETS AND"));
	ck_assert_ptr_null(address_suffix_abbr("EXPRESSWAYS"));
	ck_assert_ptr_null(address_suffix_abbr("A VERY LONG WORD INDEED"));
	ck_assert_str_eq(address_suffix_abbr("Avenue"), "AVE");
	ck_assert_str_eq(address_suffix_abbr("strt"), "ST");
}
END_TEST

static const struct {
	const char *word;
	const char *abbr;
} unit_cases[] = {
    {"Apartment", "APT"},   {"apt", "APT"},       {"Basement", "BSMT"},
    {"bsmt", "BSMT"},       {"Building", "BLDG"}, {"bldg", "BLDG"},
    {"Department", "DEPT"}, {"dept", "DEPT"},     {"Floor", "FL"},
    {"flr", "FL"},          {"fl", "FL"},         {"Front", "FRNT"},
    {"frnt", "FRNT"},       {"Hangar", "HNGR"},   {"hngr", "HNGR"},
    {"Key", "KEY"},         {"Lobby", "LBBY"},    {"lbby", "LBBY"},
    {"Lot", "LOT"},         {"Lower", "LOWR"},    {"lowr", "LOWR"},
    {"Office", "OFC"},      {"ofc", "OFC"},       {"Penthouse", "PH"},
    {"ph", "PH"},           {"Pier", "PIER"},     {"Rear", "REAR"},
    {"Room", "RM"},         {"rm", "RM"},         {"Side", "SIDE"},
    {"Slip", "SLIP"},       {"Space", "SPC"},     {"spc", "SPC"},
    {"Stop", "STOP"},       {"Suite", "STE"},     {"ste", "STE"},
    {"Trailer", "TRLR"},    {"trlr", "TRLR"},     {"Unit", "UNIT"},
    {"Upper", "UPPR"},      {"uppr", "UPPR"},     {"#", "#"},
};

/* Each designator with a number, in a whole address. */
START_TEST(test_unit_sweep)
{
	address a;
	char in[128], want[128], why[ADDRESS_WHY_SIZE];
	ck_assert_str_eq(address_unit_abbr(unit_cases[_i].word),
	                 unit_cases[_i].abbr);
	snprintf(in, sizeof(in), "100 Maple St %s 5, Austin, TX 78701",
	         unit_cases[_i].word);
	ck_assert_msg(address_parse_text(in, &a, why, sizeof(why)) ==
	                  ADDRESS_OK,
	              "\"%s\": %s", in, why);
	ck_assert_str_eq(a.unit_type, unit_cases[_i].abbr);
	ck_assert_str_eq(a.unit, "5");
	ck_assert_str_eq(a.suffix, "ST");
	snprintf(want, sizeof(want), "100 MAPLE ST %s 5, AUSTIN, TX 78701",
	         unit_cases[_i].abbr);
	ck_assert_str_eq(a.line, want);
}
END_TEST

START_TEST(test_unit_lookup_misses)
{
	ck_assert_ptr_null(address_unit_abbr(NULL));
	ck_assert_ptr_null(address_unit_abbr(""));
	ck_assert_ptr_null(address_unit_abbr("flat"));
	ck_assert_ptr_null(address_unit_abbr("aptt"));
}
END_TEST

static const struct {
	const char *name;
	const char *code;
} state_cases[] = {
    {"Alabama", "AL"},
    {"Alaska", "AK"},
    {"Arizona", "AZ"},
    {"Arkansas", "AR"},
    {"California", "CA"},
    {"Colorado", "CO"},
    {"Connecticut", "CT"},
    {"Delaware", "DE"},
    {"District of Columbia", "DC"},
    {"Florida", "FL"},
    {"Georgia", "GA"},
    {"Hawaii", "HI"},
    {"Idaho", "ID"},
    {"Illinois", "IL"},
    {"Indiana", "IN"},
    {"Iowa", "IA"},
    {"Kansas", "KS"},
    {"Kentucky", "KY"},
    {"Louisiana", "LA"},
    {"Maine", "ME"},
    {"Maryland", "MD"},
    {"Massachusetts", "MA"},
    {"Michigan", "MI"},
    {"Minnesota", "MN"},
    {"Mississippi", "MS"},
    {"Missouri", "MO"},
    {"Montana", "MT"},
    {"Nebraska", "NE"},
    {"Nevada", "NV"},
    {"New Hampshire", "NH"},
    {"New Jersey", "NJ"},
    {"New Mexico", "NM"},
    {"New York", "NY"},
    {"North Carolina", "NC"},
    {"North Dakota", "ND"},
    {"Ohio", "OH"},
    {"Oklahoma", "OK"},
    {"Oregon", "OR"},
    {"Pennsylvania", "PA"},
    {"Rhode Island", "RI"},
    {"South Carolina", "SC"},
    {"South Dakota", "SD"},
    {"Tennessee", "TN"},
    {"Texas", "TX"},
    {"Utah", "UT"},
    {"Vermont", "VT"},
    {"Virginia", "VA"},
    {"Washington", "WA"},
    {"West Virginia", "WV"},
    {"Wisconsin", "WI"},
    {"Wyoming", "WY"},
    {"Puerto Rico", "PR"},
    {"Guam", "GU"},
    {"Virgin Islands", "VI"},
    {"American Samoa", "AS"},
    {"Northern Mariana Islands", "MP"},
};

/* Each state by name (three cases) and by code, alone and in an address. */
START_TEST(test_state_sweep)
{
	const char *name = state_cases[_i].name;
	const char *code = state_cases[_i].code;
	char upper[64], lower[64], in[160], want[160], why[ADDRESS_WHY_SIZE];
	size_t n = strlen(name);
	for (size_t k = 0; k <= n; k++) {
		char c = name[k];
		upper[k] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
		lower[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	const char *spellings[] = {name, upper, lower, code};
	for (size_t s = 0; s < 4; s++) {
		ck_assert_str_eq(address_state_code(spellings[s]), code);
		address a;
		snprintf(in, sizeof(in), "100 Maple St, Springfield, %s 12345",
		         spellings[s]);
		ck_assert_msg(address_parse_text(in, &a, why, sizeof(why)) ==
		                  ADDRESS_OK,
		              "\"%s\": %s", in, why);
		snprintf(want, sizeof(want),
		         "100 MAPLE ST, SPRINGFIELD, %s 12345", code);
		ck_assert_str_eq(a.line, want);
		/* Without commas, too. */
		snprintf(in, sizeof(in), "100 Maple St Springfield %s 12345",
		         spellings[s]);
		ck_assert_msg(address_parse_text(in, &a, why, sizeof(why)) ==
		                  ADDRESS_OK,
		              "\"%s\": %s", in, why);
		ck_assert_str_eq(a.line, want);
	}
}
END_TEST

START_TEST(test_state_lookup)
{
	ck_assert_str_eq(address_state_code("  new   mexico "), "NM");
	ck_assert_str_eq(address_state_code("D.C."), "DC");
	ck_assert_str_eq(address_state_code("d. c."), "DC");
	ck_assert_str_eq(address_state_code("tx"), "TX");
	ck_assert_ptr_null(address_state_code("XX"));
	ck_assert_ptr_null(address_state_code("Tejas"));
	ck_assert_ptr_null(address_state_code(""));
	ck_assert_ptr_null(address_state_code(NULL));
	ck_assert_ptr_null(address_state_code("Texas\x01"));
}
END_TEST

/* ---- Form fields -------------------------------------------------------- */

static const struct {
	address_parts parts;
	const char *text; /* the same address as text */
	const char *line;
} parts_cases[] = {
    {{"123", "N Main St", "Apt 4", "Austin", "TX", "78701-1234"},
     "123 N Main St Apt 4, Austin, TX 78701-1234",
     "123 N MAIN ST APT 4, AUSTIN, TX 78701-1234"},
    {{NULL, "123 n. main street", "#4", "austin", "texas", "78701"},
     "123 n. main street #4, austin, texas 78701",
     "123 N MAIN ST # 4, AUSTIN, TX 78701"},
    {{"4520", "North Central Avenue", "4B", "Phoenix", "Arizona", NULL},
     "4520 North Central Avenue # 4B, Phoenix, Arizona",
     "4520 N CENTRAL AVE # 4B, PHOENIX, AZ"},
    {{"1500", "N High St", "", "", "", "43201"},
     "1500 N High St 43201",
     "1500 N HIGH ST, 43201"},
    {{"300", "E Street NW", NULL, "Washington", "District of Columbia",
      "20001 1234"},
     "300 E Street NW, Washington, District of Columbia 20001-1234",
     "300 E ST NW, WASHINGTON, DC 20001-1234"},
    {{"12345", "Hwy 71 W", "Suite 200", "Austin", "tx", "787381234"},
     "12345 Hwy 71 W Suite 200, Austin, TX 78738-1234",
     "12345 HIGHWAY 71 W STE 200, AUSTIN, TX 78738-1234"},
    {{"100", "North Ave", NULL, "Columbus", "OH", NULL},
     "100 North Ave, Columbus, OH",
     "100 NORTH AVE, COLUMBUS, OH"},
    {{"123 1/2", "Main St", "Bldg 2 Apt 4", "New York", "New York", "10001"},
     "123 1/2 Main St Bldg 2 Apt 4, New York, NY 10001",
     "123 1/2 MAIN ST BLDG 2 APT 4, NEW YORK, NY 10001"},
};

START_TEST(test_parts)
{
	address p, t;
	char why[ADDRESS_WHY_SIZE];
	ck_assert_msg(address_parse_parts(&parts_cases[_i].parts, &p, why,
	                                  sizeof(why)) == ADDRESS_OK,
	              "parts %d: %s", _i, why);
	ck_assert_str_eq(why, "");
	ck_assert_str_eq(p.line, parts_cases[_i].line);
	ck_assert_int_eq(
	    address_parse_text(parts_cases[_i].text, &t, why, sizeof(why)),
	    ADDRESS_OK);
	/* Field for field the same result. */
	char fp[512], ft[512];
	fields_of(&p, fp, sizeof(fp));
	fields_of(&t, ft, sizeof(ft));
	ck_assert_str_eq(fp, ft);
	ck_assert_str_eq(p.line, t.line);
	ck_assert_str_eq(p.key, t.key);
}
END_TEST

static const struct {
	address_parts parts;
	address_status st;
	const char *why;
} parts_errors[] = {
    {{NULL, "Main St", NULL, "Austin", "TX", NULL},
     ADDRESS_ENUMBER,
     "address: missing house number"},
    {{"123", NULL, NULL, "Austin", "TX", NULL},
     ADDRESS_ESTREET,
     "address: missing street name"},
    {{"123", "Main St", NULL, "Austin", "XX", NULL},
     ADDRESS_ESTATE,
     "address: unknown state \"XX\""},
    {{"123", "Main St", NULL, "Austin", "new texas", NULL},
     ADDRESS_ESTATE,
     "address: unknown state \"NEW TEXAS\""},
    {{"123", "Main St", NULL, "Austin", "TX", "7870"},
     ADDRESS_EZIP,
     "address: ZIP must be 5 digits or ZIP+4"},
    {{"123", "Main St", NULL, "Austin", "TX", "78701 12"},
     ADDRESS_EZIP,
     "address: ZIP must be 5 digits or ZIP+4"},
    {{"123", "Main St", NULL, "Austin", "TX", "78701 1234 5"},
     ADDRESS_EZIP,
     "address: ZIP must be 5 digits or ZIP+4"},
    {{"123", "Main St", NULL, "Austin", NULL, NULL},
     ADDRESS_EPLACE,
     "address: missing city or ZIP"},
    {{"123", "Main St", NULL, NULL, "TX", NULL},
     ADDRESS_EPLACE,
     "address: missing city or ZIP"},
    {{NULL, NULL, NULL, NULL, NULL, NULL},
     ADDRESS_EINPUT,
     "address: empty input"},
    {{"123", "Main\tSt\x02", NULL, "Austin", "TX", NULL},
     ADDRESS_EINPUT,
     "address: control character in input"},
    {{"123", "Main St", NULL, "Aus\xfftin", "TX", NULL},
     ADDRESS_EINPUT,
     "address: invalid UTF-8 in input"},
};

START_TEST(test_parts_error)
{
	address a;
	char why[ADDRESS_WHY_SIZE] = "";
	ck_assert_int_eq(
	    address_parse_parts(&parts_errors[_i].parts, &a, why, sizeof(why)),
	    parts_errors[_i].st);
	ck_assert_str_eq(why, parts_errors[_i].why);
	ck_assert_str_eq(a.line, "");
}
END_TEST

START_TEST(test_parts_limits)
{
	address a;
	char why[ADDRESS_WHY_SIZE];
	ck_assert_int_eq(address_parse_parts(NULL, &a, why, sizeof(why)),
	                 ADDRESS_EINPUT);
	ck_assert_str_eq(why, "address: empty input");

	/* Each part alone, and number + street + unit together, are held
	 * to ADDRESS_INPUT_MAX like text. */
	char big[ADDRESS_INPUT_MAX + 2];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	address_parts p = {"1", "Main St", NULL, big, "TX", NULL};
	ck_assert_int_eq(address_parse_parts(&p, &a, why, sizeof(why)),
	                 ADDRESS_EINPUT);
	ck_assert_str_eq(why, "address: input longer than 512 bytes");

	char street[300];
	memset(street, ' ', sizeof(street) - 1);
	street[sizeof(street) - 1] = '\0';
	memcpy(street, "Main St", 7);
	address_parts q = {"1", street, street, "Austin", "TX", NULL};
	ck_assert_int_eq(address_parse_parts(&q, &a, why, sizeof(why)),
	                 ADDRESS_EINPUT);
	ck_assert_str_eq(why, "address: input longer than 512 bytes");
	q.unit = "Apt 4";
	ck_assert_int_eq(address_parse_parts(&q, &a, why, sizeof(why)),
	                 ADDRESS_OK);
	ck_assert_str_eq(a.line, "1 MAIN ST APT 4, AUSTIN, TX");

	memset(big, 'A', ADDRESS_CITY_MAX + 1);
	big[ADDRESS_CITY_MAX + 1] = '\0';
	address_parts r = {"1", "Main St", NULL, big, "TX", NULL};
	ck_assert_int_eq(address_parse_parts(&r, &a, why, sizeof(why)),
	                 ADDRESS_ETOOLONG);
	ck_assert_str_eq(why, "address: city longer than 48 bytes");
	big[ADDRESS_CITY_MAX] = '\0';
	ck_assert_int_eq(address_parse_parts(&r, &a, why, sizeof(why)),
	                 ADDRESS_OK);
}
END_TEST

static Suite *address_suite(void)
{
	Suite *s = suite_create("address_parse");
	TCase *tc = tcase_create("text");
	tcase_add_loop_test(tc, test_case, 0, NCASES);
	tcase_add_test(tc, test_case_count);
	tcase_add_test(tc, test_key_shape);
	tcase_add_loop_test(tc, test_same_key, 0,
	                    sizeof(same) / sizeof(same[0]));
	tcase_add_test(tc, test_different_keys);
	tcase_add_loop_test(tc, test_error, 0,
	                    sizeof(errors) / sizeof(errors[0]));
	tcase_add_test(tc, test_null_and_small_why);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_field_limits);
	tcase_add_test(tc, test_input_length_boundary);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_long_tokens);
	suite_add_tcase(s, tc);

	tc = tcase_create("tables");
	tcase_add_test(tc, test_suffix_table);
	tcase_add_loop_test(tc, test_suffix_sweep, 0,
	                    (int)usps_suffix_table_len);
	tcase_add_test(tc, test_suffix_lookup_misses);
	tcase_add_loop_test(tc, test_unit_sweep, 0,
	                    sizeof(unit_cases) / sizeof(unit_cases[0]));
	tcase_add_test(tc, test_unit_lookup_misses);
	tcase_add_loop_test(tc, test_state_sweep, 0,
	                    sizeof(state_cases) / sizeof(state_cases[0]));
	tcase_add_test(tc, test_state_lookup);
	suite_add_tcase(s, tc);

	tc = tcase_create("parts");
	tcase_add_loop_test(tc, test_parts, 0,
	                    sizeof(parts_cases) / sizeof(parts_cases[0]));
	tcase_add_loop_test(tc, test_parts_error, 0,
	                    sizeof(parts_errors) / sizeof(parts_errors[0]));
	tcase_add_test(tc, test_parts_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(address_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
