/* test_lead_status.c: the whole transition table, and its messages. */
#include <check.h>
#include <string.h>

#include "../../services/leads-intake/lead_status.h"

/* allowed[from][to], written out by hand from the pipeline. */
static const int allowed[LEAD_STATUS_COUNT][LEAD_STATUS_COUNT] = {
    /*                new con off und clo dead */
    /* new */ {0, 1, 0, 0, 0, 1},
    /* contacted */ {0, 0, 1, 0, 0, 1},
    /* offer_sent */ {0, 0, 0, 1, 0, 1},
    /* under_c. */ {0, 0, 0, 0, 1, 1},
    /* closed */ {0, 0, 0, 0, 0, 0},
    /* dead */ {0, 0, 0, 0, 0, 0},
};

START_TEST(table)
{
	char why[256];

	for (int f = 0; f < LEAD_STATUS_COUNT; f++)
		for (int t = 0; t < LEAD_STATUS_COUNT; t++) {
			ck_assert_msg(lead_status_allowed(f, t) ==
			                  allowed[f][t],
			              "%d -> %d", f, t);
			lead_move m = lead_status_check(lead_status_name(f),
			                                lead_status_name(t),
			                                why, sizeof why);
			ck_assert_int_eq(m, allowed[f][t] ? LEAD_MOVE_OK
			                                  : LEAD_MOVE_REFUSED);
			if (m == LEAD_MOVE_OK)
				ck_assert_str_eq(why, "");
			else
				ck_assert_ptr_nonnull(
				    strstr(why, lead_status_name(t)));
		}
}
END_TEST

START_TEST(names_round_trip)
{
	for (int s = 0; s < LEAD_STATUS_COUNT; s++)
		ck_assert_int_eq(lead_status_parse(lead_status_name(s)), s);
	ck_assert_int_eq(lead_status_parse("New"), -1);
	ck_assert_int_eq(lead_status_parse(""), -1);
	ck_assert_int_eq(lead_status_parse(NULL), -1);
	ck_assert_str_eq(lead_status_name(LEAD_STATUS_COUNT), "");
	ck_assert(lead_status_terminal(LEAD_CLOSED));
	ck_assert(lead_status_terminal(LEAD_DEAD));
	ck_assert(!lead_status_terminal(LEAD_UNDER_CONTRACT));
}
END_TEST

START_TEST(messages)
{
	char why[256];

	ck_assert_int_eq(
	    lead_status_check("new", "offer_sent", why, sizeof why),
	    LEAD_MOVE_REFUSED);
	ck_assert_str_eq(why, "status: cannot move from new to offer_sent "
	                      "(allowed: contacted, dead)");
	ck_assert_int_eq(lead_status_check("new", "new", why, sizeof why),
	                 LEAD_MOVE_REFUSED);
	ck_assert_str_eq(why, "status: cannot move from new to new "
	                      "(allowed: contacted, dead)");
	ck_assert_int_eq(
	    lead_status_check("dead", "contacted", why, sizeof why),
	    LEAD_MOVE_REFUSED);
	ck_assert_str_eq(why, "status: cannot move from dead to contacted "
	                      "(allowed: none, dead is final)");
	ck_assert_int_eq(lead_status_check("closed", "new", why, sizeof why),
	                 LEAD_MOVE_REFUSED);
	ck_assert_int_eq(lead_status_check("new", "won", why, sizeof why),
	                 LEAD_MOVE_UNKNOWN);
	ck_assert_str_eq(why, "status: unknown status \"won\" (expected one "
	                      "of new, contacted, offer_sent, under_contract, "
	                      "closed, dead)");
	ck_assert_int_eq(lead_status_check("new", NULL, why, sizeof why),
	                 LEAD_MOVE_UNKNOWN);
	ck_assert_int_eq(lead_status_check("bogus", "dead", why, sizeof why),
	                 LEAD_MOVE_REFUSED);
	/* A short buffer truncates, never overflows. */
	char tiny[8];
	lead_status_check("new", "closed", tiny, sizeof tiny);
	ck_assert_str_eq(tiny, "status:");
}
END_TEST

static Suite *lead_status_suite(void)
{
	Suite *s = suite_create("lead_status");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, table);
	tcase_add_test(tc, names_round_trip);
	tcase_add_test(tc, messages);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lead_status_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
