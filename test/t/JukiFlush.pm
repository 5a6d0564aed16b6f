# Loaded into prove itself (PERL5OPT=-MJukiFlush, see test/run.sh): its
# verbose output goes to a pipe, and make test prints each file's result as
# it finishes, so prove must not hold lines back in a block buffer.
package JukiFlush;
use strict;
use warnings;
use IO::Handle;
STDOUT->autoflush(1);
STDERR->autoflush(1);
1;
