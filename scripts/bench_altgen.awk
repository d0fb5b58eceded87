# bench_altgen.awk - 10M events that funnel gen did not make, for judging the
# targets on other data (docs/BENCHMARKS.md, "Data set 2"): 10 columns, times
# to the second and only roughly in order (+-1 hour of jitter), entity ids
# like E00012345 drawn uniformly at random (the worst case for compression),
# three attributes repeated on every row of an entity.
#   awk [-v n=EVENTS -v m=ENTITIES] -f scripts/bench_altgen.awk > alt.csv
# (defaults 10,000,000 events over 1,000,000 entities)
BEGIN {
    srand(11)
    if (!n) n = 10000000
    if (!m) m = 1000000
    split("suspect prospect interested engaged evaluating negotiating purchasing", S, " ")
    split("smb mid-market enterprise", G, " ")
    split("web referral event partner outbound paid_search", R, " ")
    print "time,entity,stage,channel,touch,outcome,amount,segment,source,owner"
    t = 1767225600
    for (i = 0; i < n; i++) {
        t += rand() < 0.5 ? 3 : 2
        tt = t + int(rand() * 7200) - 3600
        e = int(rand() * m)
        s = 1 + int(-log(rand() + 1e-12) * 1.2); if (s > 7) s = 7
        ch = s <= 3 ? (rand() < 0.8 ? "marketing" : "sales") : (rand() < 0.2 ? "marketing" : "sales")
        out = rand() < 0.02 ? "lost" : ""
        amt = s == 7 ? sprintf("%d.00", 1000 + e % 50000) : ""
        printf "%s,E%08d,%s,%s,%s,%s,%s,%s,%s,owner%02d\n", strftime("%Y-%m-%dT%H:%M:%SZ", tt, 1), e,
               S[s], ch, ch == "sales" ? "call" : "newsletter", out, amt, G[1 + e % 3], R[1 + e % 6], e % 40
    }
}
