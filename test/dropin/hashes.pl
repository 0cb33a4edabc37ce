# hashes.pl: a perl workload for test-dropin.sh: hashes, regexes, sort,
# string growth.  Deterministic output.
use strict;
use warnings;

my %h;
for my $i (0 .. 199999) {
	my $k = sprintf("key%07d", ($i * 7919) % 1000003);
	$h{$k} = "v" x ($i % 37) . $i;
}
print "keys ", scalar(keys %h), "\n";
my $n = 0;
for my $k (sort keys %h) {
	$n++ if $h{$k} =~ /^(v{3,9})(\d+7)$/;
}
print "matches $n\n";
delete @h{grep { /3$/ } keys %h};
print "after delete ", scalar(keys %h), "\n";
my $s = "";
$s .= "$_," for 0 .. 99999;
my @parts = split /,/, $s;
my $joined = join ":", reverse @parts[0 .. 999];
(my $t = $s) =~ s/(\d)(\d)/$2$1/g;
print "len ", length($s), " parts ", scalar(@parts), " ", substr($joined, 0, 40), " ", substr($t, 500, 40), "\n";
my @aoh = map { { id => $_, name => "n$_" x 3 } } 0 .. 49999;
my @sorted = sort { $b->{name} cmp $a->{name} } @aoh;
print "sorted $sorted[0]{id} $sorted[-1]{id}\n";
