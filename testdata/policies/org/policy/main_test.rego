package main

test_nnp_required if {
	violation_nnp["noNewPrivileges must be true"] with input as {"noNewPrivileges": false}
}
