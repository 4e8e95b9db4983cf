"""pylab's names for ``from sim import *``: written by tools/make_pylab_names.py
from matplotlib 3.11.2 (do not edit)."""

MATPLOTLIB_VERSION = '3.11.2'
FUNCTIONS = (
    'acorr', 'angle_spectrum', 'annotate', 'arrow', 'autoscale', 'autumn', 'axes', 'axhline',
    'axhspan', 'axis', 'axline', 'axvline', 'axvspan', 'bar', 'bar_label', 'barbs', 'barh',
    'bone', 'box', 'boxplot', 'broken_barh', 'cla', 'clabel', 'clf', 'clim', 'close', 'cohere',
    'colorbar', 'connect', 'contour', 'contourf', 'cool', 'copper', 'csd', 'cycler', 'date2num',
    'datestr2num', 'delaxes', 'detrend', 'detrend_linear', 'detrend_mean', 'detrend_none',
    'disconnect', 'drange', 'draw', 'draw_all', 'draw_if_interactive', 'ecdf', 'errorbar',
    'eventplot', 'figaspect', 'figimage', 'figlegend', 'fignum_exists', 'figtext', 'figure',
    'fill', 'fill_between', 'fill_betweenx', 'findobj', 'flag', 'flatten', 'gca', 'gcf', 'gci',
    'get', 'get_backend', 'get_cmap', 'get_current_fig_manager', 'get_figlabels', 'get_fignums',
    'get_plot_commands', 'get_scale_names', 'getp', 'ginput', 'grid', 'grouped_bar', 'hexbin',
    'hist', 'hist2d', 'hlines', 'hot', 'hsv', 'imread', 'imsave', 'imshow', 'inferno',
    'install_repl_displayhook', 'interactive', 'ioff', 'ion', 'isinteractive', 'jet', 'legend',
    'locator_params', 'loglog', 'magma', 'magnitude_spectrum', 'margins', 'matshow',
    'minorticks_off', 'minorticks_on', 'new_figure_manager', 'nipy_spectral', 'num2date',
    'pause', 'pcolor', 'pcolormesh', 'phase_spectrum', 'pie', 'pie_label', 'pink', 'plasma',
    'plot', 'polar', 'prism', 'psd', 'quiver', 'quiverkey', 'rc', 'rc_context', 'rcdefaults',
    'rgrids', 'savefig', 'sca', 'scatter', 'sci', 'semilogx', 'semilogy', 'set_cmap',
    'set_loglevel', 'setp', 'show', 'specgram', 'spring', 'spy', 'stackplot', 'stairs', 'stem',
    'step', 'streamplot', 'subplot', 'subplot2grid', 'subplot_mosaic', 'subplot_tool',
    'subplots', 'subplots_adjust', 'summer', 'suptitle', 'switch_backend', 'table', 'text',
    'thetagrids', 'tick_params', 'ticklabel_format', 'tight_layout', 'title', 'tricontour',
    'tricontourf', 'tripcolor', 'triplot', 'twinx', 'twiny', 'uninstall_repl_displayhook',
    'violinplot', 'viridis', 'vlines', 'waitforbuttonpress', 'window_hanning', 'window_none',
    'winter', 'xcorr', 'xkcd', 'xlabel', 'xlim', 'xscale', 'xticks', 'ylabel', 'ylim', 'yscale',
    'yticks',
)
CLASSES = (
    'AbstractContextManager', 'Annotation', 'Arrow', 'Artist', 'AutoLocator', 'AxLine', 'Axes',
    'BackendFilter', 'Button', 'Circle', 'Colorizer', 'ColorizingArtist', 'Colormap',
    'DateFormatter', 'DateLocator', 'DayLocator', 'Enum', 'ExitStack', 'Figure', 'FigureBase',
    'FigureCanvasBase', 'FigureManagerBase', 'FixedFormatter', 'FixedLocator',
    'FormatStrFormatter', 'Formatter', 'FuncFormatter', 'GridSpec', 'HourLocator', 'IO',
    'IndexLocator', 'Line2D', 'LinearLocator', 'Locator', 'LogFormatter',
    'LogFormatterExponent', 'LogFormatterMathtext', 'LogLocator', 'MaxNLocator',
    'MinuteLocator', 'MonthLocator', 'MouseButton', 'MultipleLocator', 'Normalize',
    'NullFormatter', 'NullLocator', 'PolarAxes', 'Polygon', 'RRuleLocator', 'Rectangle',
    'ScalarFormatter', 'SecondLocator', 'Slider', 'Subplot', 'SubplotSpec', 'Text',
    'TickHelper', 'WeekdayLocator', 'Widget', 'YearLocator', 'relativedelta', 'rrule',
    'silent_list',
)
MODULES = {
    'cbook': 'matplotlib.cbook', 'matplotlib': 'matplotlib', 'mlab': 'matplotlib.mlab', 'mpl':
    'matplotlib', 'plt': 'matplotlib.pyplot', 'rcsetup': 'matplotlib.rcsetup', 'style':
    'matplotlib.style',
}
STDLIB_MODULES = (
    'datetime', 'functools', 'importlib', 'inspect', 'logging', 'sys', 'threading', 'time',
)
OBJECTS = (
    'FR', 'MO', 'SA', 'SU', 'TH', 'TU', 'WE', 'available_backends', 'backend_registry',
    'color_sequences', 'colormaps', 'rcParams', 'rcParamsDefault', 'rcParamsOrig',
)
CONSTANTS = {
    'DAILY': 3, 'HOURLY': 4, 'MINUTELY': 5, 'MONTHLY': 1, 'SECONDLY': 6, 'WEEKLY': 2, 'YEARLY':
    0,
}
