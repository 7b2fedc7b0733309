# Clustered bars of the median time per case and tool, log scale.
# Called by bench/lib.sh with data=FILE and output=SVG set.
set terminal svg size 1100,520 dynamic font "sans,11"
set output output
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set ylabel "median wall time (s), log scale"
set grid ytics
set key top left
set xtics rotate by -30 scale 0
set title "ocicap, the decompression limit, umoci and buildah (lower is better)"
plot data using 2:xtic(1) title columnheader(2) lc rgb "#1b9e77", \
     '' using 3 title columnheader(3) lc rgb "#7570b3", \
     '' using 4 title columnheader(4) lc rgb "#d95f02", \
     '' using 5 title columnheader(5) lc rgb "#e7298a"
